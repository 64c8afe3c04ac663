import type { Queryable, Store } from "../store/types.js";
import type { Catalog } from "./catalog.js";
import type { QueueContext } from "./context.js";

/**
 * A queue context whose every statement runs in the caller's transaction, so that a workflow
 * transition and the messages it sends or deletes commit together or not at all. Operations that
 * open a transaction of their own join the caller's instead.
 */
export function scopeToTransaction(ctx: QueueContext, tx: Queryable): QueueContext {
  const store: Store = {
    dialect: tx.dialect,
    location: ctx.store.location,
    query: (sql, params) => tx.query(sql, params),
    run: (sql, params) => tx.run(sql, params),
    signal: (channel, payload) => tx.signal(channel, payload),
    transaction: (work) => work(tx),
    listen: (channel, listener) => ctx.store.listen(channel, listener),
    close: async () => undefined,
  };
  const catalog: Catalog = {
    ...ctx.catalog,
    find: (name, db = tx) => ctx.catalog.find(name, db),
    get: (name, db = tx) => ctx.catalog.get(name, db),
    fresh: (name, db = tx) => ctx.catalog.fresh(name, db),
    byId: (id, db = tx) => ctx.catalog.byId(id, db),
    all: (db = tx) => ctx.catalog.all(db),
  };
  return { ...ctx, store, catalog };
}
