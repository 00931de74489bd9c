-- Indexes with ordered keys (columns or expressions), INCLUDE columns, predicate, opclasses and backing constraint.
WITH locked AS (
    SELECT DISTINCT l.relation AS oid
    FROM pg_locks l
    WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.relation IS NOT NULL
      AND l.pid <> pg_backend_pid()  -- our own locks never block us
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
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
    ARRAY(SELECT CASE WHEN k.attnum = 0 THEN NULL ELSE a.attname::text END
          FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
          LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          WHERE k.ord <= i.indnkeyatts
          ORDER BY k.ord) AS columns,
    ARRAY(SELECT CASE WHEN NOT lk.is_locked THEN pg_get_indexdef(i.indexrelid, k.ord::int, true)
                      ELSE COALESCE(quote_ident(a.attname::text), '(not read: relation locked)') END
          FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
          LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum <> 0
          WHERE k.ord <= i.indnkeyatts
          ORDER BY k.ord) AS keys,
    ARRAY(SELECT a.attname::text
          FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          WHERE k.ord > i.indnkeyatts
          ORDER BY k.ord) AS include_columns,
    ARRAY(SELECT opc.opcname::text
          FROM unnest(i.indclass::oid[]) WITH ORDINALITY k(opc, ord)
          JOIN pg_opclass opc ON opc.oid = k.opc
          ORDER BY k.ord) AS opclasses,
    ARRAY(SELECT COALESCE(co.collname::text, '')
          FROM unnest(i.indcollation::oid[]) WITH ORDINALITY k(coll, ord)
          LEFT JOIN pg_collation co ON co.oid = k.coll
          ORDER BY k.ord) AS collations,
    i.indoption::int2[]::int[] AS options,
    CASE WHEN i.indpred IS NULL THEN NULL WHEN NOT lk.is_locked THEN pg_get_expr(i.indpred, i.indrelid, true)
         ELSE '(not read: relation locked)' END AS predicate,
    CASE WHEN NOT lk.is_locked THEN pg_get_indexdef(i.indexrelid) ELSE '(not read: relation locked)' END AS definition,
    CASE WHEN NOT lk.is_locked THEN pg_relation_size(i.indexrelid) END AS bytes,
    ic.relpages::bigint AS relpages,
    ic.reltuples::float8 AS reltuples,
    con.conname::text AS constraint_name,
    con.contype::text AS constraint_type,
    (SELECT inh.inhparent::bigint FROM pg_inherits inh WHERE inh.inhrelid = i.indexrelid) AS parent_index_oid,
    ic.relkind = 'I' AS is_partitioned,
    obj_description(i.indexrelid, 'pg_class') AS comment
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace n ON n.oid = tc.relnamespace
JOIN pg_am am ON am.oid = ic.relam
CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM locked l WHERE l.oid IN (i.indexrelid, i.indrelid)) AS is_locked) lk
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                           AND con.contype IN ('p', 'u', 'x')
WHERE tc.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = tc.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, tc.relname, ic.relname;
