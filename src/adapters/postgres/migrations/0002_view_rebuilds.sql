-- View rebuilds (issue 8): recorded by the API or the CLI, claimed and executed by a worker
-- process, which heartbeats its row; rows outlive every process, so progress survives restarts.
CREATE TABLE view_rebuilds (
    rebuild_id       text PRIMARY KEY,
    mode             text NOT NULL CHECK (mode IN ('blue-green', 'inplace')),
    state            text NOT NULL
        CHECK (state IN ('RUNNING', 'SWAPPING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    phase            text NOT NULL,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    updated_at       timestamptz,
    finished_at      timestamptz,
    owner            text,
    events_replayed  bigint NOT NULL DEFAULT 0,
    target_offsets   jsonb NOT NULL DEFAULT '{}',
    cancel_requested boolean NOT NULL DEFAULT false,
    error            text
);

-- At most one rebuild is RUNNING or SWAPPING: a second request conflicts on this index.
CREATE UNIQUE INDEX view_rebuilds_one_active ON view_rebuilds ((true))
    WHERE state IN ('RUNNING', 'SWAPPING');
