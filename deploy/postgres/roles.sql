-- StreamView's PostgreSQL roles: least privilege for migrations, the worker and the API
-- (README, "Production"). Run once, as a superuser or a role with CREATEROLE, connected to
-- StreamView's database, BEFORE the first `streamview migrate`:
--     psql "$ADMIN_URL" -f deploy/postgres/roles.sql
-- Then give the roles passwords or client certificates as your platform does, and run
--     streamview migrate      as streamview_owner
--     the worker              as streamview_worker
--     streamview serve (API)  as streamview_api
-- Re-running it is harmless.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'streamview_owner') THEN
        CREATE ROLE streamview_owner LOGIN;   -- owns the tables; runs migrations
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'streamview_worker') THEN
        CREATE ROLE streamview_worker LOGIN;  -- writes the views and its positions
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'streamview_api') THEN
        CREATE ROLE streamview_api LOGIN;     -- reads
    END IF;
END
$$;

GRANT USAGE, CREATE ON SCHEMA public TO streamview_owner;
GRANT USAGE ON SCHEMA public TO streamview_worker, streamview_api;

-- Every table the migrations create (as streamview_owner) gets these grants, so that a new
-- migration needs no new GRANT. The worker writes the views, the stash, its positions, its
-- state and the rebuild log; TRUNCATE is for in-place rebuilds.
ALTER DEFAULT PRIVILEGES FOR ROLE streamview_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO streamview_worker;
-- The change log's ids come from a sequence the worker draws from in its batch transaction.
ALTER DEFAULT PRIVILEGES FOR ROLE streamview_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO streamview_worker;
-- The API only reads: the views, the positions (lag), the workers' states, the rebuild log
-- and the schema version.
ALTER DEFAULT PRIVILEGES FOR ROLE streamview_owner IN SCHEMA public
    GRANT SELECT ON TABLES TO streamview_api;

-- Two more grants the API needs after the migration that creates those tables (0005), for
-- features served by API processes: pruning the change log by age (GET /changes/...), and
-- recording dead-letter redrives (POST /ops/dead-letters/redrive, `streamview dlq redrive`):
--       GRANT DELETE ON order_changes TO streamview_api;
--       GRANT UPDATE ON order_changes_pruned TO streamview_api;
--       GRANT INSERT ON dlq_redrives TO streamview_api;
--
-- Two choices left to you (README, "Production"):
-- * The rebuild endpoints (POST /views/rebuild, cancel) write the rebuild log; with
--   STREAMVIEW_ALLOW_REBUILD=true, after the first migration:
--       GRANT INSERT, UPDATE ON view_rebuilds TO streamview_api;
-- * A blue-green rebuild creates, drops and renames the view tables, which PostgreSQL lets
--   their owner do only: a worker that runs them must act as the owner
--       GRANT streamview_owner TO streamview_worker;
--       ALTER ROLE streamview_worker SET role = 'streamview_owner';
--   (in-place rebuilds need only the TRUNCATE granted above).
