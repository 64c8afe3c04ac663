-- Execution status change events, as Amazon EventBridge delivers Step Functions' "Step Functions
-- Execution Status Change" events to a rule's SQS target: a state machine may name a queue that gets
-- one such event per status change of its executions, sent in the transaction that changes it.

ALTER TABLE state_machines ADD COLUMN status_queue TEXT;
