-- Views and materialized views: owner, options, comment and the relations they read.
WITH locked AS (
    -- the relations of locks.sql, read once on its own and passed in by the collector (unset in psql: none)
    SELECT unnest(COALESCE(NULLIF(current_setting('pg_auditor.locked', true), ''), '{}')::oid[]) AS oid
), reads AS (
    SELECT rw.ev_class AS view_oid, array_agg(DISTINCT d.refobjid::bigint ORDER BY d.refobjid::bigint) AS oids
    FROM pg_rewrite rw
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
                    AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> rw.ev_class
    GROUP BY rw.ev_class
)
SELECT
    c.oid::bigint AS oid,
    n.nspname::text AS schema,
    c.relname::text AS name,
    c.relkind::text AS kind,
    pg_get_userbyid(c.relowner)::text AS owner,
    COALESCE(c.reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on', 'security_invoker=1'],
             false) AS security_invoker,
    COALESCE(c.reloptions::text[] && ARRAY['security_barrier=true', 'security_barrier=on', 'security_barrier=1'],
             false) AS security_barrier,
    COALESCE(rd.oids, '{}') AS reads,
    CASE WHEN NOT EXISTS (SELECT 1 FROM locked lk WHERE lk.oid = c.oid OR lk.oid = ANY (rd.oids))
         THEN pg_get_viewdef(c.oid, true) END AS definition,
    c.relacl::text[] AS acl,
    c.reltuples::float8 AS reltuples,
    c.reloptions::text[] AS options,
    obj_description(c.oid, 'pg_class') AS comment
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN reads rd ON rd.view_oid = c.oid
WHERE c.relkind IN ('v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
        AND d.refclassid = 'pg_extension'::regclass
  )
ORDER BY n.nspname, c.relname;
