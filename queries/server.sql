-- Who and where we are: version, role, privileges, statistics age, recovery, preloaded libraries.
SELECT
    version() AS version,
    current_setting('server_version_num')::int AS version_num,
    current_database() AS database,
    current_user AS current_user,
    session_user AS session_user,
    r.rolsuper AS is_superuser,
    r.rolbypassrls AS bypassrls,
    ARRAY(
        SELECT g.rolname::text
        FROM pg_roles g
        WHERE g.rolname IN ('pg_monitor', 'pg_read_all_stats', 'pg_read_all_settings', 'pg_read_all_data',
                            'pg_stat_scan_tables', 'rds_superuser', 'cloudsqlsuperuser', 'azure_pg_admin')
          AND pg_has_role(current_user, g.oid, 'USAGE')
        ORDER BY 1
    ) AS privileged_memberships,
    (SELECT d.stats_reset FROM pg_stat_database d WHERE d.datname = current_database()) AS stats_reset,
    pg_postmaster_start_time() AS postmaster_start,
    pg_is_in_recovery() AS in_recovery,
    NULL::bigint AS database_bytes,  -- read apart, bounded and optional (database_size.sql): it stats every file
    now() AS collected_at,
    (SELECT s.setting FROM pg_settings s WHERE s.name = 'shared_preload_libraries') AS shared_preload_libraries,
    COALESCE((
        SELECT jsonb_object_agg(s.name, s.setting ORDER BY s.name)
        FROM pg_settings s
        WHERE s.name IN ('max_locks_per_transaction', 'track_counts', 'block_size', 'server_encoding',
                         'row_security', 'enable_partition_pruning', 'default_transaction_read_only',
                         'max_connections', 'track_activities', 'autovacuum', 'cron.database_name',
                         'autovacuum_freeze_max_age', 'autovacuum_multixact_freeze_max_age',
                         'autovacuum_vacuum_threshold', 'autovacuum_vacuum_scale_factor')
           OR s.name LIKE 'pg\_partman\_bgw.%'
    ), '{}'::jsonb) AS settings,
    (SELECT age(d.datfrozenxid) FROM pg_database d WHERE d.datname = current_database()) AS frozenxid_age,
    (SELECT mxid_age(d.datminmxid) FROM pg_database d WHERE d.datname = current_database()) AS minmxid_age
FROM pg_roles r
WHERE r.rolname = current_user;
