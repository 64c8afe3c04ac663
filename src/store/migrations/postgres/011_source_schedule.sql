-- When a scheduled source is due next (epoch ms). The process that moves it on from the value it
-- read polls it; any other process that read the same value finds it moved and leaves the poll,
-- so a source is polled once per period however many processes run.

ALTER TABLE sources ADD COLUMN next_poll_at BIGINT;
