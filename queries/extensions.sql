-- Installed extensions with the version available to update to, plus a few worth knowing are installable.
SELECT
    a.name::text AS name,
    e.extversion::text AS installed_version,
    a.default_version::text AS default_version,
    (SELECT n.nspname::text FROM pg_namespace n WHERE n.oid = e.extnamespace) AS schema,
    e.extrelocatable AS relocatable  -- ALTER EXTENSION ... SET SCHEMA can move it
FROM pg_available_extensions a
LEFT JOIN pg_extension e ON e.extname = a.name
WHERE e.oid IS NOT NULL
   OR a.name IN ('pg_partman', 'pg_cron', 'pg_stat_statements', 'pgstattuple', 'hypopg')
ORDER BY a.name;
