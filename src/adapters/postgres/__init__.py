"""PostgreSQL adapters: the view store, its migrations, the pool and the readiness probe."""
