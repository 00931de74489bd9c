-- A least-privilege role for pg-auditor. Run as a superuser (or rds_superuser / cloudsqlsuperuser /
-- azure_pg_admin on managed services) in every database you audit. Edit the role name and password.
--
--   psql -v ON_ERROR_STOP=1 -d appdb -f docs/setup-role.sql
--
-- What each step buys is in docs/privileges.md; `pg-auditor doctor DSN` shows what is still missing.

-- 1. The login role: never a superuser, few connections, read-only, short waits.
CREATE ROLE pgauditor LOGIN PASSWORD 'change-me' NOSUPERUSER NOCREATEDB NOCREATEROLE CONNECTION LIMIT 3;
ALTER ROLE pgauditor SET default_transaction_read_only = on;
ALTER ROLE pgauditor SET lock_timeout = '2s';
ALTER ROLE pgauditor SET statement_timeout = '60s';

-- 2. Connect, and read the statistics and settings views (pg_monitor = pg_read_all_settings +
--    pg_read_all_stats + pg_stat_scan_tables). On PostgreSQL 13 to 18 alike.
GRANT CONNECT ON DATABASE :"DBNAME" TO pgauditor;
GRANT pg_monitor TO pgauditor;

-- 3. Planner statistics for every column. pg_stats shows a role only the columns it may SELECT, so
--    without this the rules that read column statistics see just part of the schema. Either give the
--    role read access to all data (PostgreSQL 14+; the simplest, but it can read every row)...
--
--      GRANT pg_read_all_data TO pgauditor;
--
--    ...or, as pghero and pganalyze do, a SECURITY DEFINER helper that returns only the statistics
--    pg-auditor reads (up to 20 common values of low-cardinality columns, never whole rows). The
--    owner (the role running this script) must itself see every column in pg_stats.
CREATE SCHEMA IF NOT EXISTS pgauditor;
REVOKE ALL ON SCHEMA pgauditor FROM PUBLIC;
CREATE OR REPLACE FUNCTION pgauditor.column_stats()
RETURNS TABLE (schema name, "table" name, "column" name, null_frac real, n_distinct real,
               common_values text[], top_frequency real)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.schemaname, s.tablename, s.attname, s.null_frac, s.n_distinct,
           CASE WHEN s.n_distinct BETWEEN 1 AND 100 THEN (s.most_common_vals::text::text[])[1:20] END,
           (s.most_common_freqs)[1]
    FROM pg_catalog.pg_stats s
    WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema')
      AND NOT s.inherited
      AND (s.n_distinct BETWEEN 1 AND 100 OR (s.most_common_freqs)[1] >= 0.3)
$$;
REVOKE ALL ON FUNCTION pgauditor.column_stats() FROM PUBLIC;
GRANT USAGE ON SCHEMA pgauditor TO pgauditor;
GRANT EXECUTE ON FUNCTION pgauditor.column_stats() TO pgauditor;

-- 4. Extensions whose configuration lives in tables (only if installed; adjust the schema name).
-- GRANT USAGE ON SCHEMA partman TO pgauditor;
-- GRANT SELECT ON partman.part_config, partman.part_config_sub TO pgauditor;
-- GRANT USAGE ON SCHEMA cron TO pgauditor;
-- GRANT SELECT ON cron.job TO pgauditor;   -- pg_cron's row-level security still shows only own jobs
