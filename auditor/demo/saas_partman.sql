-- pg-auditor demo schema, pg_partman part. Loaded after saas.sql, and only
-- when the pg_partman extension is available on the server (4.7.x or 5.x).
--
-- app.audit_log is a monthly pg_partman set. Nothing runs its maintenance:
-- no pg_partman_bgw in shared_preload_libraries, no pg_cron job, no external
-- scheduler.
--   -- defect: ...   something the auditor should report
--   -- ok: ...       a deliberate negative case the auditor must NOT report

SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET synchronous_commit = off;

CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;

SET ROLE app_owner;

CREATE TABLE app.audit_log (
    id           bigserial,
    org_id       uuid NOT NULL REFERENCES app.organizations ON DELETE CASCADE,
    actor_id     bigint,
    action       text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'login', 'export')),
    target_table text NOT NULL,
    target_id    bigint,
    details      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
-- ok: tenant-leading index that also covers the partman control column
CREATE INDEX audit_log_org_id_created_at_idx ON app.audit_log (org_id, created_at);
-- ok: RLS on the parent, ENABLE + FORCE
ALTER TABLE app.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_tenant ON app.audit_log
    USING (org_id = current_setting('app.current_org')::uuid)
    WITH CHECK (org_id = current_setting('app.current_org')::uuid);
GRANT SELECT, INSERT ON app.audit_log TO app_user;
GRANT USAGE, SELECT ON SEQUENCE app.audit_log_id_seq TO app_user;

RESET ROLE;

-- defect: pg_partman set registered with automatic_maintenance = 'on' but no
-- scheduler runs run_maintenance() (no BGW, no pg_cron): partitions stop being
-- premade once the runway (premake = 4 months) is used up
-- defect: create_parent runs as the superuser (as it usually does) and
-- inherit_privileges is off, so the children are owned by postgres while the
-- parent is owned by app_owner (owner drift between a parent and its partitions)
-- Monthly set starting 3 months ago; create_parent's signature differs between
-- 4.x (p_type 'native', keyword interval) and 5.x (p_type 'range', interval).
DO $$
DECLARE
    v_version text;
    v_start   text := to_char(date_trunc('month', now()) - interval '3 months', 'YYYY-MM-DD HH24:MI:SS+00');
BEGIN
    SELECT extversion INTO v_version FROM pg_catalog.pg_extension WHERE extname = 'pg_partman';
    IF split_part(v_version, '.', 1)::int >= 5 THEN
        EXECUTE format(
            'SELECT partman.create_parent(p_parent_table := %L, p_control := %L, p_interval := %L,'
            ' p_type := %L, p_premake := %s, p_start_partition := %L)',
            'app.audit_log', 'created_at', '1 month', 'range', 4, v_start);
    ELSE
        EXECUTE format(
            'SELECT partman.create_parent(p_parent_table := %L, p_control := %L, p_type := %L,'
            ' p_interval := %L, p_premake := %s, p_start_partition := %L)',
            'app.audit_log', 'created_at', 'native', 'monthly', 4, v_start);
    END IF;
END
$$;

-- 12k audit rows over the covered range (the last ~90 days)
SET session_replication_role = replica;   -- data is consistent by construction
INSERT INTO app.audit_log (org_id, actor_id, action, target_table, target_id, details, created_at)
SELECT o.ids[(g - 1) % 50 + 1],
       ((g - 1) % 50 + 1) + 50 * (g % 20),
       (ARRAY['create', 'update', 'update', 'delete', 'login', 'export'])[1 + g % 6],
       (ARRAY['tickets', 'customers', 'invoices', 'users'])[1 + g % 4],
       1 + (g * 7919) % 5000,
       '{}',
       now() - make_interval(secs => (g::bigint * 104729) % (88 * 86400))
FROM (SELECT array_agg(md5('org:' || n)::uuid ORDER BY n) AS ids
      FROM generate_series(1, 50) AS n) AS o,
     generate_series(1, 12000) AS g;

-- defect: rows in the pg_partman default partition (a backfill of records older
-- than the first child landed in app.audit_log_default)
INSERT INTO app.audit_log (org_id, actor_id, action, target_table, target_id, created_at)
SELECT md5('org:' || ((g - 1) % 50 + 1))::uuid,
       (g - 1) % 50 + 1,
       'export', 'invoices', g,
       date_trunc('month', now()) - interval '6 months' + make_interval(hours => g * 7)
FROM generate_series(1, 40) AS g;
RESET session_replication_role;

ANALYZE app.audit_log;
