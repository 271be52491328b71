-- Where each worker of a consumer group says it is (STARTING, RUNNING, PAUSED, …), written by
-- the worker every lag refresh and when it stops, read by API-only processes (`streamview
-- serve`) for the `state` of /lags. One row per worker process; old rows are pruned.
CREATE TABLE consumer_states (
    consumer_group text COLLATE "C" NOT NULL,
    topic          text COLLATE "C" NOT NULL,
    member         text NOT NULL,
    state          text NOT NULL
        CHECK (state IN ('STARTING', 'RUNNING', 'PAUSED', 'REBUILDING', 'STOPPED', 'FAILED')),
    seen_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, member)
);
