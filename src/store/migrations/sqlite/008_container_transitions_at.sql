-- Transitions by time, so a follower of many containers (inflow digitize) asks which of them
-- finished since its last look instead of reading them all again.

CREATE INDEX container_transitions_at ON container_transitions (at);
