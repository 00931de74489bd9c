-- Columns of user tables, partitioned tables, foreign tables and materialized views.
-- pg_get_expr/pg_get_*def open the relation: not called on ones locked ACCESS EXCLUSIVE (granted or waiting).
WITH relation_order AS (
    -- each relation's place in (schema, name) order, so the 90,000 rows sort on two integers: sorted on the names
    -- themselves (name comparisons, and their ties resolved column by column) the sort was 40% of this query
    SELECT c.oid, row_number() OVER (ORDER BY n.nspname, c.relname) AS ord
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'f', 'm', 'v')
),
locked AS (
    -- the relations of locks.sql, read once on its own and passed in by the collector (unset in psql: none)
    SELECT unnest(COALESCE(NULLIF(current_setting('pg_auditor.locked', true), ''), '{}')::oid[]) AS oid
)
SELECT
    a.attrelid::bigint AS table_oid,
    a.attnum::int AS position,
    a.attname::text AS name,
    format_type(a.atttypid, a.atttypmod) AS type,
    t.typname::text AS base_type,
    t.typcategory::text AS type_category,
    a.atttypmod::int AS typmod,
    a.attnotnull AS not_null,
    CASE WHEN ad.adbin IS NULL THEN NULL
         -- a default holds no column reference, so it is read without the table (relid 0 opens no relation);
         -- a generated column's expression names columns and needs it
         WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, 0)
         WHEN NOT EXISTS (SELECT 1 FROM locked lk WHERE lk.oid = a.attrelid) THEN pg_get_expr(ad.adbin, ad.adrelid)
         ELSE '(not read: relation locked)' END AS default,
    NULLIF(a.attidentity::text, '') AS identity,
    NULLIF(a.attgenerated::text, '') AS generated,
    CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
         THEN (SELECT co.collname::text FROM pg_collation co WHERE co.oid = a.attcollation) END AS collation,
    dsc.description AS comment
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN relation_order ro ON ro.oid = c.oid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_description dsc ON dsc.objoid = a.attrelid AND dsc.classoid = 'pg_class'::regclass
                             AND dsc.objsubid = a.attnum
WHERE c.relkind IN ('r', 'p', 'f', 'm', 'v')
  AND a.attnum > 0
  AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
        AND d.refclassid = 'pg_extension'::regclass
  )
ORDER BY ro.ord, a.attnum;  -- = n.nspname, c.relname, a.attnum
