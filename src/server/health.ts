import type { FastifyInstance } from "fastify";

/** `GET /health`: the process is up and serving (for load balancers and `inflow` scripts). */
export async function healthRoute(app: FastifyInstance): Promise<void> {
  app.get("/health", async () => ({ status: "ok" }));
}
