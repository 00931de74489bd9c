-- What holds the xmin horizon back, so that VACUUM can neither remove dead rows nor freeze: sessions with
-- an open transaction or snapshot, prepared transactions, replication slots (pghero, check_postgres'
-- txn_idle / txn_time / prepared_txns / replication_slots). Without pg_read_all_stats (pg_monitor) another
-- role's session shows its xmin but not its state or start.
SELECT
    'session'::text AS kind,
    a.pid::text AS name,
    a.usename::text AS role,
    a.datname::text AS database,
    a.state AS state,
    extract(epoch FROM now() - a.xact_start)::float8 AS seconds,
    greatest(age(a.backend_xmin), age(a.backend_xid))::bigint AS xmin_age,  -- its own xid holds it back too
    a.application_name AS detail
FROM pg_stat_activity a
WHERE a.pid <> pg_backend_pid()
  AND a.backend_type = 'client backend'
  AND (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL OR a.xact_start IS NOT NULL)
UNION ALL
SELECT 'prepared', p.gid, p.owner::text, p.database::text, NULL,
       extract(epoch FROM now() - p.prepared)::float8, age(p.transaction)::bigint, NULL
FROM pg_prepared_xacts p
UNION ALL
SELECT 'slot', s.slot_name::text, NULL, s.database::text, CASE WHEN s.active THEN 'active' ELSE 'inactive' END,
       NULL, greatest(age(s.xmin), age(s.catalog_xmin))::bigint, s.slot_type || COALESCE(' ' || s.plugin, '')
FROM pg_replication_slots s
ORDER BY 1, 2;
