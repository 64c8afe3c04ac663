-- Queues, their messages, FIFO deduplication records and message move tasks.
-- Times are epoch milliseconds. A deleted queue keeps its row (deleted_at) for the 60-second
-- rule on re-creating a name; its messages go with it.

CREATE TABLE queues (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  fifo INTEGER NOT NULL,
  attributes TEXT NOT NULL,
  tags TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  modified_at INTEGER NOT NULL,
  purged_at INTEGER,
  deleted_at INTEGER
);
CREATE UNIQUE INDEX queues_live_name ON queues (name) WHERE deleted_at IS NULL;
CREATE INDEX queues_name ON queues (name, deleted_at);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue_id INTEGER NOT NULL,
  message_id TEXT NOT NULL,
  body TEXT NOT NULL,
  message_attributes TEXT,
  system_attributes TEXT,
  md5_body TEXT NOT NULL,
  md5_attributes TEXT,
  sender_id TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  first_received_at INTEGER,
  received_at INTEGER,
  group_id TEXT,
  dedup_id TEXT,
  dead_letter_source_arn TEXT
);
CREATE INDEX messages_ready ON messages (queue_id, visible_at, id);
CREATE INDEX messages_group ON messages (queue_id, group_id, id) WHERE group_id IS NOT NULL;

CREATE TABLE fifo_dedup (
  queue_id INTEGER NOT NULL,
  dedup_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  sequence_number TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (queue_id, dedup_id)
);

CREATE TABLE move_tasks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  handle TEXT NOT NULL UNIQUE,
  source_queue_id INTEGER NOT NULL,
  source_arn TEXT NOT NULL,
  destination_arn TEXT,
  max_per_second INTEGER,
  status TEXT NOT NULL,
  moved INTEGER NOT NULL DEFAULT 0,
  to_move INTEGER NOT NULL,
  failure_reason TEXT,
  started_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX move_tasks_source ON move_tasks (source_arn, started_at);
CREATE INDEX move_tasks_status ON move_tasks (status);
-- One active task per source queue, also when two processes start one at the same moment.
CREATE UNIQUE INDEX move_tasks_one_active ON move_tasks (source_queue_id) WHERE status IN ('RUNNING', 'CANCELLING');
