-- Index-only reads for the list shapes that 0001 served by fetching rows only to skip them
-- (adapters/postgres/listing.py says which; docs/benchmarks.md, "Read path", the figures).
-- Four of 0001's indexes get INCLUDE columns: the filters of those shapes are then checked
-- in the index, and only the page's rows are read from the table. Wider entries, but no new
-- index: a write still updates as many indexes as before (three more indexes keyed by
-- customer served the customer shapes as fast, and made row updates ~60% slower; the INCLUDE
-- columns cost ~5%).
-- Built inside the migration's transaction: writes to orders_view wait while they build
-- (about a second per index per million orders).

-- A customer's orders with any sort: the customer's entries carry every sort key.
DROP INDEX orders_view_customer_updated_idx;
CREATE INDEX orders_view_customer_updated_idx
    ON orders_view (customer_id, updated_at DESC, order_id DESC)
    INCLUDE (created_at, total_gross, status);

-- A range of updated_at with another sort, when the range is read and sorted; with statuses.
DROP INDEX orders_view_updated_idx;
CREATE INDEX orders_view_updated_idx
    ON orders_view (updated_at, order_id) INCLUDE (created_at, total_gross, status);

-- Statuses, or a range, with a sort on createdAt or totalGross: the walk along the sort key
-- skips the other statuses and the rows outside the range inside the index.
DROP INDEX orders_view_created_idx;
CREATE INDEX orders_view_created_idx
    ON orders_view (created_at, order_id) INCLUDE (status, updated_at);
DROP INDEX orders_view_total_gross_idx;
CREATE INDEX orders_view_total_gross_idx
    ON orders_view (total_gross, order_id) INCLUDE (status, updated_at);
