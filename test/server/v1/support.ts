import Fastify, { type FastifyInstance } from "fastify";
import type { SecretReader } from "../../../src/ingest/secrets.js";
import { createApiKey } from "../../../src/invoices/api-keys.js";
import { serviceKey } from "../../../src/invoices/service-key.js";
import { createPipelineStarter, type PipelineStarter } from "../../../src/invoices/starter.js";
import { createTenant } from "../../../src/invoices/tenants.js";
import { createQueues } from "../../../src/queues/service.js";
import type { Queues } from "../../../src/queues/types.js";
import { v1Api } from "../../../src/server/v1/index.js";
import { createStates, type States } from "../../../src/states/engine.js";
import type { Dialect, Store } from "../../../src/store/types.js";
import { createTestDatabase } from "../../support/backends.js";
import { listenOnFreePort } from "../../support/listen.js";

/**
 * A state machine that starts and then waits a day: executions stay RUNNING while a test drives
 * the containers through the pipeline routes itself.
 */
const WAITING_MACHINE = JSON.stringify({
  StartAt: "Wait",
  States: { Wait: { Type: "Wait", Seconds: 86400, Next: "Done" }, Done: { Type: "Succeed" } },
});

export interface Api {
  url: string;
  app: FastifyInstance;
  store: Store;
  queues: Queues;
  states: States;
  pipeline: PipelineStarter;
  stateMachineArn: string;
  serviceKey: string;
  /** `fetch` on the API with this key (none: no Authorization header). */
  call(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
  /** A new tenant and a key of its. */
  tenant(id: string): Promise<string>;
  close(): Promise<void>;
}

export async function startApi(
  dialect: Dialect,
  options: { maxFileBytes?: number; readSecret?: (store: Store) => SecretReader } = {},
): Promise<Api> {
  const database = createTestDatabase(dialect);
  const store = await database.open();
  const queues = createQueues(store);
  const states = createStates(store, queues);
  const machine = await states.machines.create({ name: "digitize", definition: WAITING_MACHINE });
  const pipeline = createPipelineStarter({ store, states, stateMachineArn: machine.arn });
  const app = Fastify({ forceCloseConnections: true });
  await app.register(v1Api, {
    store,
    states,
    pipeline,
    maxFileBytes: options.maxFileBytes,
    ...(options.readSecret ? { readSecret: options.readSecret(store) } : {}),
  });
  const url = await listenOnFreePort(app);
  const key = await serviceKey(store);
  return {
    url,
    app,
    store,
    queues,
    states,
    pipeline,
    stateMachineArn: machine.arn,
    serviceKey: key,
    call: (path, init = {}) => {
      const { key: bearer, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (bearer !== undefined) headers.set("authorization", `Bearer ${bearer}`);
      return fetch(`${url}${path}`, { ...rest, headers });
    },
    tenant: async (id) => {
      await createTenant(store, { id });
      return (await createApiKey(store, id)).key;
    },
    close: async () => {
      await app.close();
      await states.close();
      await queues.close();
      await store.close();
      await database.drop();
    },
  };
}

/** Uploads `body` as `name` and answers the new container's id. */
export async function upload(api: Api, name: string, body: string | Buffer, key?: string): Promise<string> {
  const response = await api.call(`/v1/files?name=${encodeURIComponent(name)}`, {
    method: "POST",
    body,
    key,
    headers: { "content-type": "application/octet-stream" },
  });
  if (response.status !== 201) throw new Error(`upload: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { containerId: string }).containerId;
}

/** Drives a container through the pipeline routes as the workflow's functions would, up to Verify. */
export async function digitize(
  api: Api,
  containerId: string,
  invoices: unknown[],
  options: { create?: number[] } = {},
): Promise<{ state: string; invoiceIds: string[] }> {
  const service = (path: string, method: string, body?: unknown) =>
    api
      .call(`/v1/pipeline${path}`, {
        method,
        key: api.serviceKey,
        ...(body !== undefined
          ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } }
          : {}),
      })
      .then(async (response) => {
        if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
        return response.json() as Promise<Record<string, unknown>>;
      });
  await service(`/containers/${containerId}/processing`, "POST");
  await service(`/containers/${containerId}/parsed`, "PUT", { invoices, warnings: [] });
  const invoiceIds: string[] = [];
  for (const key of options.create ?? invoices.map((_, i) => i + 1)) {
    const { invoiceId } = await service(`/containers/${containerId}/invoices/${key}`, "POST");
    await service(`/invoices/${invoiceId}/checks`, "POST");
    invoiceIds.push(invoiceId as string);
  }
  const { state } = await service(`/containers/${containerId}/verify`, "POST");
  return { state: state as string, invoiceIds };
}
