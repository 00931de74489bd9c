-- Indexes with ordered keys (columns or expressions), INCLUDE columns, predicate, opclasses and backing constraint.
-- Set-based: every index's key positions are unnested once and joined to pg_attribute, pg_opclass and
-- pg_collation in bulk (no per-index subqueries); pg_get_indexdef(oid, n) runs only for expression keys.
-- Sizes are relpages estimates (no relation is opened, so no locks and no file access). The definition
-- functions wait behind an AccessExclusiveLock, so they are not called for indexes of locked relations.
WITH locked AS (
    SELECT DISTINCT l.relation AS oid
    FROM pg_locks l
    WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.relation IS NOT NULL
      AND l.pid <> pg_backend_pid()  -- our own locks never block us
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
),
locked_indexes AS (
    SELECT DISTINCT i.indexrelid
    FROM pg_index i JOIN locked l ON l.oid IN (i.indexrelid, i.indrelid)
),
key_parts AS (
    SELECT
        i.indexrelid,
        array_agg(CASE WHEN k.attnum <> 0 THEN a.attname::text END ORDER BY k.ord)
            FILTER (WHERE k.ord <= i.indnkeyatts) AS columns,
        array_agg(CASE WHEN k.attnum <> 0 THEN quote_ident(a.attname)
                       WHEN lx.indexrelid IS NOT NULL THEN '(not read: relation locked)'
                       ELSE pg_get_indexdef(i.indexrelid, k.ord::int, true) END ORDER BY k.ord)
            FILTER (WHERE k.ord <= i.indnkeyatts) AS keys,
        array_agg(a.attname::text ORDER BY k.ord) FILTER (WHERE k.ord > i.indnkeyatts) AS include_columns,
        array_agg(opc.opcname::text ORDER BY k.ord) FILTER (WHERE k.ord <= i.indnkeyatts) AS opclasses,
        array_agg(COALESCE(co.collname::text, '') ORDER BY k.ord) FILTER (WHERE k.ord <= i.indnkeyatts) AS collations
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indclass::oid[], i.indcollation::oid[])
        WITH ORDINALITY k(attnum, opc, coll, ord)
    LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum <> 0
    LEFT JOIN pg_opclass opc ON opc.oid = k.opc
    LEFT JOIN pg_collation co ON co.oid = k.coll
    LEFT JOIN locked_indexes lx ON lx.indexrelid = i.indexrelid
    WHERE i.indrelid >= 16384
    GROUP BY i.indexrelid
)
SELECT
    i.indexrelid::bigint AS oid,
    i.indrelid::bigint AS table_oid,
    ic.relname::text AS name,
    am.amname::text AS method,
    i.indisunique AS is_unique,
    i.indisprimary AS is_primary,
    i.indisexclusion AS is_exclusion,
    i.indisvalid AS is_valid,
    i.indisready AS is_ready,
    i.indnkeyatts::int AS key_count,
    COALESCE(kp.columns, '{}') AS columns,
    COALESCE(kp.keys, '{}') AS keys,
    COALESCE(kp.include_columns, '{}') AS include_columns,
    COALESCE(kp.opclasses, '{}') AS opclasses,
    COALESCE(kp.collations, '{}') AS collations,
    i.indoption::int2[]::int[] AS options,
    CASE WHEN i.indpred IS NULL THEN NULL WHEN lx.indexrelid IS NULL THEN pg_get_expr(i.indpred, i.indrelid, true)
         ELSE '(not read: relation locked)' END AS predicate,
    CASE WHEN lx.indexrelid IS NULL THEN pg_get_indexdef(i.indexrelid) ELSE '(not read: relation locked)' END
        AS definition,
    ic.relpages::bigint * current_setting('block_size')::bigint AS bytes,
    ic.relpages::bigint AS relpages,
    ic.reltuples::float8 AS reltuples,
    con.conname::text AS constraint_name,
    con.contype::text AS constraint_type,
    inh.inhparent::bigint AS parent_index_oid,
    ic.relkind = 'I' AS is_partitioned,
    dsc.description AS comment
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace n ON n.oid = tc.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN key_parts kp ON kp.indexrelid = i.indexrelid
LEFT JOIN locked_indexes lx ON lx.indexrelid = i.indexrelid
LEFT JOIN pg_inherits inh ON inh.inhrelid = i.indexrelid
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                           AND con.contype IN ('p', 'u', 'x')
LEFT JOIN pg_description dsc ON dsc.objoid = i.indexrelid AND dsc.classoid = 'pg_class'::regclass
                            AND dsc.objsubid = 0
WHERE tc.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = tc.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, tc.relname, ic.relname;
