-- Table constraints of every type (NOT NULL entries of PostgreSQL 18 are left out: nullability is on columns).
-- pg_get_expr/pg_get_*def open the relation: not called on ones locked ACCESS EXCLUSIVE (granted or waiting).
WITH locked AS (
    SELECT DISTINCT l.relation AS oid
    FROM pg_locks l
    WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.relation IS NOT NULL
      AND l.pid <> pg_backend_pid()  -- our own locks never block us
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
)
SELECT
    con.oid::bigint AS oid,
    con.conrelid::bigint AS table_oid,
    con.conname::text AS name,
    con.contype::text AS type,
    ARRAY(SELECT a.attname::text
          FROM unnest(con.conkey::int2[]) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
          ORDER BY k.ord) AS columns,
    NULLIF(con.confrelid, 0)::bigint AS ref_table_oid,
    ARRAY(SELECT a.attname::text
          FROM unnest(con.confkey::int2[]) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
          ORDER BY k.ord) AS ref_columns,
    NULLIF(con.confdeltype::text, ' ') AS on_delete,
    NULLIF(con.confupdtype::text, ' ') AS on_update,
    NULLIF(con.confmatchtype::text, ' ') AS match_type,
    con.convalidated AS validated,
    con.condeferrable AS deferrable,
    con.condeferred AS deferred,
    con.conislocal AS is_local,
    con.coninhcount::int AS inherited_count,
    NULLIF(con.conparentid, 0)::bigint AS parent_oid,
    NULLIF(con.conindid, 0)::bigint AS index_oid,
    CASE WHEN NOT EXISTS (SELECT 1 FROM locked lk WHERE lk.oid IN (con.conrelid, con.confrelid))
         THEN pg_get_constraintdef(con.oid, true) ELSE '(not read: relation locked)' END AS definition,
    obj_description(con.oid, 'pg_constraint') AS comment
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x', 't')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, c.relname, con.conname;
