-- Table constraints of every type (NOT NULL entries of PostgreSQL 18 are left out: nullability is on columns).
-- pg_get_constraintdef waits behind an AccessExclusiveLock: not called on locked relations (granted or waiting).
-- Key column names come from one bulk unnest joined to pg_attribute, not a subquery per constraint.
WITH locked AS (
    SELECT DISTINCT l.relation AS oid
    FROM pg_locks l
    WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.relation IS NOT NULL
      AND l.pid <> pg_backend_pid()  -- our own locks never block us
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
),
key_names AS (
    SELECT
        con.oid,
        array_agg(a.attname::text ORDER BY k.ord) FILTER (WHERE k.side = 'c') AS columns,
        array_agg(a.attname::text ORDER BY k.ord) FILTER (WHERE k.side = 'f') AS ref_columns
    FROM pg_constraint con
    CROSS JOIN LATERAL (
        SELECT 'c' AS side, u.attnum, u.ord, con.conrelid AS relid
        FROM unnest(con.conkey::int2[]) WITH ORDINALITY u(attnum, ord)
        UNION ALL
        SELECT 'f', u.attnum, u.ord, con.confrelid
        FROM unnest(con.confkey::int2[]) WITH ORDINALITY u(attnum, ord)
    ) k
    JOIN pg_attribute a ON a.attrelid = k.relid AND a.attnum = k.attnum
    WHERE con.conrelid <> 0 AND con.contype IN ('p', 'u', 'f', 'c', 'x', 't')
    GROUP BY con.oid
)
SELECT
    con.oid::bigint AS oid,
    con.conrelid::bigint AS table_oid,
    con.conname::text AS name,
    con.contype::text AS type,
    COALESCE(kn.columns, '{}') AS columns,
    NULLIF(con.confrelid, 0)::bigint AS ref_table_oid,
    COALESCE(kn.ref_columns, '{}') AS ref_columns,
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
    dsc.description AS comment
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN key_names kn ON kn.oid = con.oid
LEFT JOIN pg_description dsc ON dsc.objoid = con.oid AND dsc.classoid = 'pg_constraint'::regclass
                             AND dsc.objsubid = 0
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x', 't')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, c.relname, con.conname;
