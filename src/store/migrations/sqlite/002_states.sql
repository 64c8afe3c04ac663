-- State machines, executions, their runs (the execution itself, each Map iteration and each
-- Parallel branch), history events and task tokens. Times are epoch milliseconds; JSON as text.

CREATE TABLE state_machines (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  arn TEXT NOT NULL,
  type TEXT NOT NULL,
  definition TEXT NOT NULL,
  role_arn TEXT NOT NULL,
  tags TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER
);
CREATE UNIQUE INDEX state_machines_live_name ON state_machines (name) WHERE deleted_at IS NULL;

CREATE TABLE executions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  arn TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  state_machine_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  cause TEXT,
  started_at INTEGER NOT NULL,
  stopped_at INTEGER,
  redrive_count INTEGER NOT NULL DEFAULT 0,
  redriven_at INTEGER,
  last_event_id INTEGER NOT NULL DEFAULT 0,
  parent_run_id INTEGER,
  parent_run_version INTEGER
);
CREATE INDEX executions_machine ON executions (state_machine_id, started_at);
CREATE INDEX executions_status ON executions (status, started_at);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  execution_id INTEGER NOT NULL,
  parent_id INTEGER,
  container TEXT NOT NULL,
  item_index INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 0,
  state_name TEXT NOT NULL,
  phase TEXT NOT NULL,
  state_input TEXT NOT NULL,
  state_data TEXT,
  variables TEXT NOT NULL,
  wake_at INTEGER,
  output TEXT,
  error TEXT,
  cause TEXT,
  updated_at INTEGER NOT NULL
);
CREATE INDEX runs_execution ON runs (execution_id);
CREATE INDEX runs_children ON runs (parent_id, status, item_index);

CREATE TABLE history_events (
  execution_id INTEGER NOT NULL,
  id INTEGER NOT NULL,
  previous_event_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  details TEXT,
  PRIMARY KEY (execution_id, id)
);

CREATE TABLE task_tokens (
  token TEXT PRIMARY KEY,
  run_id INTEGER NOT NULL,
  execution_id INTEGER NOT NULL,
  run_version INTEGER NOT NULL,
  status TEXT NOT NULL,
  resource TEXT NOT NULL,
  timeout_at INTEGER,
  heartbeat_seconds INTEGER,
  heartbeat_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX task_tokens_run ON task_tokens (run_id);
