-- Event-source mappings (queue -> function) and schedules. Times are epoch milliseconds;
-- booleans are 0/1. `declared` marks rows a resource file owns: applying a file disables the
-- declared rows it no longer names and leaves rows created through the API alone.

CREATE TABLE event_source_mappings (
  uuid TEXT PRIMARY KEY,
  queue_name TEXT NOT NULL,
  function_name TEXT NOT NULL,
  batch_size INTEGER NOT NULL,
  batching_window_seconds INTEGER NOT NULL,
  maximum_concurrency INTEGER,
  report_batch_item_failures INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  declared INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX event_source_mappings_pair ON event_source_mappings (queue_name, function_name);

-- A schedule fires when next_fire_at passes. The firing worker moves next_fire_at on and records
-- the period it fires in firing_at until the target accepted it; a firing left unfinished past
-- firing_until (its worker died) is taken over by another worker.
CREATE TABLE schedules (
  name TEXT PRIMARY KEY,
  expression TEXT NOT NULL,
  timezone TEXT NOT NULL,
  target_kind TEXT NOT NULL,
  target_name TEXT NOT NULL,
  input TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  declared INTEGER NOT NULL DEFAULT 0,
  next_fire_at INTEGER,
  firing_at INTEGER,
  firing_until INTEGER,
  last_fired_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX schedules_next_fire ON schedules (next_fire_at);
