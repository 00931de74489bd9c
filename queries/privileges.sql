-- What this role cannot see in sections it can read: tables whose pg_stats rows are hidden, sequences whose
-- last value is hidden, superuser-only settings, and whether the SECURITY DEFINER helper of docs/setup-role.sql
-- is installed. Privilege checks only; no relation is opened or locked.
SELECT
    (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'm')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
       AND n.nspname NOT LIKE 'pg\_temp\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                       WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
                         AND d.refclassid = 'pg_extension'::regclass)
       AND CASE WHEN c.relkind IN ('r', 'p', 'm') THEN NOT has_table_privilege(c.oid, 'SELECT') END)::int AS tables_without_select,
    (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'm')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
       AND n.nspname NOT LIKE 'pg\_temp\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                       WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
                         AND d.refclassid = 'pg_extension'::regclass))::int
        AS tables_total,
    (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relpersistence <> 't'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                       WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
                         AND d.refclassid = 'pg_extension'::regclass)
       AND CASE WHEN c.relkind = 'S' THEN NOT has_sequence_privilege(c.oid, 'SELECT') END)::int AS sequences_hidden,
    (SELECT count(*) FROM pg_settings s WHERE s.name = 'shared_preload_libraries')::int AS settings_visible,
    COALESCE(CASE WHEN has_schema_privilege(to_regnamespace('pgauditor'), 'USAGE')
                  THEN has_function_privilege(to_regprocedure('pgauditor.column_stats()'), 'EXECUTE') END,
             false) AS column_stats_helper;
