-- CONTRACT §4 views, the durable stash and the consumer positions.
-- order_id is COLLATE "C": ordering by orderId is by code point, like Python's str ordering.

CREATE TABLE orders_view (
    order_id            text COLLATE "C" PRIMARY KEY,
    customer_id         text NOT NULL,
    status              text NOT NULL
        CHECK (status IN ('CREATED', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
    currency            text NOT NULL,
    total_net           numeric NOT NULL,
    total_gross         numeric NOT NULL,
    item_count          bigint NOT NULL,
    line_count          integer NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    last_event_sequence bigint NOT NULL,
    last_event_id       text NOT NULL,
    dedup_event_id      text NOT NULL CONSTRAINT orders_view_dedup_event_id_key UNIQUE,
    projected_at        timestamptz NOT NULL
);

-- One index per list shape of CONTRACT §5. Ties are broken by order_id in the SAME direction
-- as the sort key, so each index has both columns in one direction: scanned forwards or
-- backwards it yields (key, order_id) in either direction, and the keyset row comparison
-- `(key, order_id) < (…, …)` is an index condition. A mixed (DESC, ASC) index would need an
-- extra sort step and could not bound the keyset.
CREATE INDEX orders_view_status_updated_idx
    ON orders_view (status, updated_at DESC, order_id DESC);
CREATE INDEX orders_view_customer_updated_idx
    ON orders_view (customer_id, updated_at DESC, order_id DESC);
CREATE INDEX orders_view_updated_idx ON orders_view (updated_at, order_id);
CREATE INDEX orders_view_created_idx ON orders_view (created_at, order_id);
CREATE INDEX orders_view_total_gross_idx ON orders_view (total_gross, order_id);

CREATE TABLE order_items_view (
    order_id         text COLLATE "C" NOT NULL,
    line_no          integer NOT NULL,
    item_id          text NOT NULL,
    sku              text NOT NULL,
    qty              integer NOT NULL,
    price            numeric NOT NULL,
    tax_rate         numeric NOT NULL,
    net_line_total   numeric NOT NULL,
    gross_line_total numeric NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

-- Events held until the gap before them fills (CONTRACT §2); `envelope` is the msgspec JSON
-- of the domain Envelope (event, sequence, version, trace context).
CREATE TABLE order_stash (
    order_id   text COLLATE "C" NOT NULL,
    sequence   bigint NOT NULL,
    envelope   jsonb NOT NULL,
    stashed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, sequence)
);

-- The next offset to consume, written in the same transaction as the views it produced.
CREATE TABLE consumer_positions (
    consumer_group text NOT NULL,
    topic          text NOT NULL,
    partition      integer NOT NULL,
    next_offset    bigint NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition)
);
