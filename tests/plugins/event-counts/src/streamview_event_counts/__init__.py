"""event_counts: per order, how many of its events were applied and which came last."""
