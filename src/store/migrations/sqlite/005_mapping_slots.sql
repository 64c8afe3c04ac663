-- Concurrency slots of event-source mappings, shared by every process: a poller holds one of its
-- mapping's MaximumConcurrency slots while it runs, so the limit holds across workers. A slot whose
-- lease ran out (its process died) is free again. Times are epoch milliseconds.

CREATE TABLE mapping_slots (
  mapping_uuid TEXT NOT NULL,
  slot INTEGER NOT NULL,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (mapping_uuid, slot)
);
