// `@chat-replay/server/redis`: the Redis stores (ioredis), for several instances serving
// the same sessions. Node (or any runtime with TCP sockets) only.
export type { RedisLog, RedisSentinelTarget, RedisTarget } from "./redis-connection";
export { RedisSessionStore, type RedisSessionStoreOptions } from "./redis-session-store";
export { createRedisStores, type RedisStores, type RedisStoresOptions } from "./redis-stores";
export { RedisStreamStore, type RedisStreamStoreOptions } from "./redis-stream-store";
