-- User schemas (system schemas and schemas created by extensions are left out).
SELECT
    n.oid::bigint AS oid,
    n.nspname::text AS name,
    pg_get_userbyid(n.nspowner)::text AS owner,
    obj_description(n.oid, 'pg_namespace') AS comment,
    EXISTS (SELECT 1 FROM pg_extension e WHERE e.extnamespace = n.oid) AS holds_extension
FROM pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e'
        AND d.refclassid = 'pg_extension'::regclass
  )
ORDER BY n.nspname;
