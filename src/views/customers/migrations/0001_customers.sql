-- The customers view (views/customers/domain.py): per customer, its orders counted by status;
-- per (customer, currency), its orders and their money. Ids are COLLATE "C", as in
-- orders_view: ordering by id is by code point, like Python's str ordering.

-- What each order last contributed to its customer's rows. The view moves by differences
-- (old contribution out, new one in), so the old one must be kept somewhere; it is kept here
-- rather than read back from orders_view so that the view owns its state and can be rebuilt
-- on its own. last_event_sequence is the compare-and-set guard of a move: a writer whose
-- `old` is no longer the stored one (a zombie consumer after a rebalance) stores nothing and
-- adds nothing, which keeps the additive rows below exactly-once.
CREATE TABLE customer_orders (
    order_id            text COLLATE "C" PRIMARY KEY,
    customer_id         text NOT NULL,
    currency            text NOT NULL,
    status              text NOT NULL
        CHECK (status IN ('CREATED', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
    -- The order's own totals, cancelled or not: the domain decides what its customer counts.
    total_net           numeric NOT NULL,
    total_gross         numeric NOT NULL,
    created_at          timestamptz NOT NULL,
    -- The latest occurredAt of the order's applied events (not always the last one's).
    updated_at          timestamptz NOT NULL,
    last_event_sequence bigint NOT NULL
);
-- A customer's orders: for reads by customer, and to recompute a customer's rows.
CREATE INDEX customer_orders_customer_idx ON customer_orders (customer_id);

-- One row per customer, written by additive upserts: each batch adds its merged differences,
-- so a row is written once per batch whatever number of its orders the batch touched.
CREATE TABLE customers_view (
    customer_id     text COLLATE "C" PRIMARY KEY,
    -- Every order counts, a cancelled one too; the per-status counts add up to order_count.
    order_count     bigint NOT NULL,
    created_count   bigint NOT NULL,
    paid_count      bigint NOT NULL,
    shipped_count   bigint NOT NULL,
    delivered_count bigint NOT NULL,
    cancelled_count bigint NOT NULL,
    -- LEAST / GREATEST of the candidates: a time never moves back, so a rebuild agrees.
    first_order_at  timestamptz NOT NULL,
    last_order_at   timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    projected_at    timestamptz NOT NULL DEFAULT now(),
    -- +1 on every write: the ETag of the customer (with its currency rows, written with it).
    version         bigint NOT NULL DEFAULT 1
);

-- Money of different currencies is never added together: one row per currency a customer
-- ordered in. A cancelled order counts in order_count, its money does not.
CREATE TABLE customer_totals_view (
    customer_id text COLLATE "C" NOT NULL,
    currency    text NOT NULL,
    order_count bigint NOT NULL,
    total_net   numeric NOT NULL,
    total_gross numeric NOT NULL,
    PRIMARY KEY (customer_id, currency)
);
