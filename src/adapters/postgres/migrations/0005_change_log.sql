-- The change log of the orders view: one row per order changed by a committed batch, written
-- in the same transaction as the view (an INSERT … SELECT from the rows the upsert returned).
-- Read by the change streams (Server-Sent Events) and by the read-your-writes waiters.
--
-- change_id order is commit order: a writer takes CHANGE_LOG_LOCK_KEY (transaction-level
-- advisory lock) before it allocates ids, so a reader that saw id N can never later find an
-- id below N committed. Ids may skip values (a rolled-back batch used them); never repeat.
-- Columns are those of orders_view, as the change left the order.
CREATE TABLE order_changes (
    change_id           bigserial PRIMARY KEY,
    order_id            text COLLATE "C" NOT NULL,
    customer_id         text NOT NULL,
    status              text NOT NULL,
    currency            text NOT NULL,
    total_net           numeric NOT NULL,
    total_gross         numeric NOT NULL,
    item_count          bigint NOT NULL,
    line_count          integer NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    last_event_sequence bigint NOT NULL,
    last_event_id       text NOT NULL,
    committed_at        timestamptz NOT NULL DEFAULT now()
);
-- Pruning by age: rows arrive in committed_at order, which a BRIN index follows at almost
-- no cost to the writer.
CREATE INDEX order_changes_committed_brin ON order_changes USING brin (committed_at);

-- The highest change_id pruned so far: a resume from an id below it has lost changes.
CREATE TABLE order_changes_pruned (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    pruned_through bigint NOT NULL DEFAULT 0
);
INSERT INTO order_changes_pruned DEFAULT VALUES;

-- Dead letters sent back to their source topic: one row per DLQ record, so that redriving
-- the same record twice produces it once. Written in the transaction that waits for the
-- broker's acknowledgement of the produce.
CREATE TABLE dlq_redrives (
    dlq_topic        text NOT NULL,
    dlq_partition    integer NOT NULL,
    dlq_offset       bigint NOT NULL,
    source_topic     text NOT NULL,
    redrive_count    integer NOT NULL,
    requested_by     text NOT NULL,
    redriven_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dlq_topic, dlq_partition, dlq_offset)
);
