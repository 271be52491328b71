-- The listing's walks (views/customers/postgres_reads.py): each sort of GET /customers reads
-- its index from the keyset on, in display order (every sort is descending, ties broken by
-- customer_id descending), and stops after a page.

-- `-lastOrderAt` (the default), and the `from`/`to` window on last_order_at.
CREATE INDEX customers_view_last_order_idx
    ON customers_view (last_order_at DESC, customer_id DESC);

-- `-orderCount`, and `minOrders` (the walk ends at the first customer below it).
CREATE INDEX customers_view_order_count_idx
    ON customers_view (order_count DESC, customer_id DESC);

-- `-totalGross` within one currency.
CREATE INDEX customer_totals_view_currency_gross_idx
    ON customer_totals_view (currency, total_gross DESC, customer_id DESC);
