// `pnpm start` (or `node src/main.ts`): the recipe on $PORT, default 3000.
import { startServer } from "./server.ts";

const { url, close } = await startServer({ port: Number(process.env.PORT ?? 3000) });
console.log(`listening on ${url}; chat-replay at ${url}/chat/api/sessions`);
process.once("SIGINT", () => void close());
