import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { FastifyRequest } from "fastify";
import { hasApiKeys, tenantOfApiKey } from "../../invoices/api-keys.js";
import { InvoicesError } from "../../invoices/errors.js";
import { serviceKey } from "../../invoices/service-key.js";
import { DEFAULT_TENANT } from "../../invoices/types.js";
import type { Queryable } from "../../store/types.js";

/**
 * Who is calling `/v1`: the service (the pipeline functions, with the service key: every tenant,
 * and the pipeline routes) or one tenant (with its API key, or, while no tenant key exists at
 * all, anyone on this machine as the default tenant).
 */
export type Principal =
  | { kind: "service" }
  /** `local`: on this machine while no key exists, the single-user setup, which also operates the deployment. */
  | { kind: "tenant"; tenantId: string; local?: true };

export const unauthorized = (message: string) => new InvoicesError("Unauthorized", message, 401);
export const forbidden = (message: string) => new InvoicesError("Forbidden", message, 403);

/** Loopback: 127.0.0.0/8 and ::1, IPv4-mapped too. The socket's own address, never a forwarded one. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return address === "::1";
}

export interface Credentials {
  /** The Authorization header as sent. */
  authorization?: string;
  /** The peer's address (the socket's). */
  remoteAddress?: string;
}

export interface KeyLookup {
  serviceKey(): Promise<string>;
  tenantOfKey(key: string): Promise<string | undefined>;
  anyTenantKeys(): Promise<boolean>;
}

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** The decision, apart from HTTP so that every case is testable. Throws Unauthorized (401). */
export async function authenticate(credentials: Credentials, keys: KeyLookup): Promise<Principal> {
  const header = credentials.authorization;
  if (header === undefined || header === "") {
    if (isLoopback(credentials.remoteAddress) && !(await keys.anyTenantKeys())) {
      return { kind: "tenant", tenantId: DEFAULT_TENANT, local: true };
    }
    throw unauthorized("An API key is required: Authorization: Bearer KEY.");
  }
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match) throw unauthorized("Use Authorization: Bearer KEY.");
  const key = match[1]!;
  // Compared as digests, in constant time: the comparison says nothing about the key's prefix.
  if (timingSafeEqual(digest(key), digest(await keys.serviceKey()))) return { kind: "service" };
  const tenantId = await keys.tenantOfKey(key);
  if (tenantId === undefined) throw unauthorized("Unknown API key.");
  return { kind: "tenant", tenantId };
}

/** Key lookups in the database; the service key never changes, so it is read once. */
export function databaseKeys(db: Queryable): KeyLookup {
  let service: Promise<string> | undefined;
  return {
    serviceKey: () => {
      service ??= serviceKey(db).catch((error: unknown) => {
        service = undefined;
        throw error;
      });
      return service;
    },
    tenantOfKey: (key) => tenantOfApiKey(db, key),
    anyTenantKeys: () => hasApiKeys(db),
  };
}

/** The tenant a principal's request is scoped to; undefined for the service (every tenant). */
export const tenantScope = (principal: Principal): string | undefined =>
  principal.kind === "tenant" ? principal.tenantId : undefined;

const principals = new WeakMap<FastifyRequest, Principal>();

/** Remembers who a request is from (the /v1 onRequest hook does, before anything else runs). */
export const setPrincipal = (request: FastifyRequest, principal: Principal) =>
  principals.set(request, principal);

export function principalOf(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (!principal) throw new Error("The request was not authenticated");
  return principal;
}
