-- One row per order: written in the same transaction as the stream's positions.
CREATE TABLE event_counts (
    order_id            text COLLATE "C" PRIMARY KEY,
    events              bigint NOT NULL,
    last_type           text NOT NULL,
    last_event_sequence bigint NOT NULL
);
