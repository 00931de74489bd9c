-- Planner statistics (pg_stats) per index, summed over its attributes: the inputs of the btree bloat
-- estimate, and the leading key's NULL fraction, distinct count and most common value. Expression keys
-- read the index's own statistics; a partitioned table's the inherited ones. Catalog only, no table scan.
-- pg_stats (the view, whose privilege filter a role without pg_statistic needs) is read once and its few rows
-- keyed by relation and attribute number, found by name (a schema's relation names and a relation's attribute
-- names are unique): the keys then join on numbers, with no pass over all of pg_attribute to name them
-- (matched on names, the 80,000 keys of a 50,000-index catalog hashed 400,000 attributes: half this query).
WITH relation_order AS (
    -- each table's place in (schema, name) order: the rows sort on it, an integer, not on the names (see columns.sql)
    SELECT c.oid, row_number() OVER (ORDER BY n.nspname, c.relname) AS ord
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm')
),
stats AS (
    SELECT c.oid AS relid, a.attnum, s.inherited, s.null_frac, s.avg_width, s.n_distinct, s.most_common_vals,
           s.most_common_freqs
    FROM pg_stats s
    JOIN pg_namespace sn ON sn.nspname = s.schemaname
    JOIN pg_class c ON c.relnamespace = sn.oid AND c.relname = s.tablename
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = s.attname
    WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema')
)
SELECT
    i.indexrelid::bigint AS index_oid,
    count(*)::int AS attributes,
    count(s.avg_width)::int AS with_stats,
    COALESCE(sum((1 - COALESCE(s.null_frac, 0)) * s.avg_width), 0)::float8 AS data_width,
    COALESCE(max(s.null_frac), 0)::float8 AS max_null_frac,
    max(s.null_frac) FILTER (WHERE k.ord = 1)::float8 AS lead_null_frac,
    max(s.n_distinct) FILTER (WHERE k.ord = 1)::float8 AS lead_n_distinct,
    max((s.most_common_vals::text::text[])[1]) FILTER (WHERE k.ord = 1) AS lead_top_value,
    max((s.most_common_freqs)[1]) FILTER (WHERE k.ord = 1)::float8 AS lead_top_frequency,
    (SELECT split_part(o, '=', 2)::int FROM unnest(ic.reloptions) o WHERE o LIKE 'fillfactor=%') AS fillfactor
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class tc ON tc.oid = i.indrelid
LEFT JOIN relation_order rk ON rk.oid = tc.oid
JOIN pg_namespace n ON n.oid = tc.relnamespace
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
LEFT JOIN stats s
       ON s.relid = CASE WHEN k.attnum = 0 THEN i.indexrelid ELSE i.indrelid END
      AND s.attnum = CASE WHEN k.attnum = 0 THEN k.ord::int2 ELSE k.attnum END
      AND s.inherited = (k.attnum > 0 AND tc.relkind = 'p')
WHERE tc.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
GROUP BY i.indexrelid, ic.reloptions, rk.ord, ic.relname
ORDER BY rk.ord, ic.relname;  -- = n.nspname, tc.relname, ic.relname
