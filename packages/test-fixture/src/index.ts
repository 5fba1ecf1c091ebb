export * from "./chaos-proxy";
export * from "./chromium";
export * from "./long-schedules";
export * from "./redis-cluster";
export * from "./redis-stores-or-skip";
export * from "./server-fixture";
