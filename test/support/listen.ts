import type { FastifyInstance } from "fastify";

/** Starts `app` on a free port of 127.0.0.1 and returns its base URL, `http://127.0.0.1:<port>`. */
export async function listenOnFreePort(app: FastifyInstance): Promise<string> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return `http://127.0.0.1:${address.port}`;
}

/** Endpoint, region and dummy credentials every AWS SDK client of the tests shares. */
export const clientDefaults = (url: string) => ({
  endpoint: url,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
});
