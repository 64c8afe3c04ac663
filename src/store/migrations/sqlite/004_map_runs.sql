-- Distributed Map runs. Each iteration of a DISTRIBUTED Map is a child execution of its own,
-- grouped under its map run (DescribeMapRun, ListMapRuns, ListExecutions by mapRunArn).

CREATE TABLE map_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  arn TEXT NOT NULL UNIQUE,
  execution_id INTEGER NOT NULL,
  run_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  max_concurrency INTEGER NOT NULL,
  item_count INTEGER NOT NULL,
  tolerated_count INTEGER,
  tolerated_percentage REAL,
  started_at INTEGER NOT NULL,
  stopped_at INTEGER,
  redrive_count INTEGER NOT NULL DEFAULT 0,
  redriven_at INTEGER
);
CREATE INDEX map_runs_execution ON map_runs (execution_id, id);

ALTER TABLE executions ADD COLUMN map_run_id INTEGER;
-- Partial: most executions are no iteration and no child, and cost these indexes nothing.
CREATE INDEX executions_map_run ON executions (map_run_id, id) WHERE map_run_id IS NOT NULL;
CREATE INDEX executions_parent_run ON executions (parent_run_id) WHERE parent_run_id IS NOT NULL;
