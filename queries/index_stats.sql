-- Planner statistics (pg_stats) per index, summed over its attributes: the inputs of the btree bloat
-- estimate, and the leading key's NULL fraction, distinct count and most common value. Expression keys
-- read the index's own statistics; a partitioned table's the inherited ones. Catalog only, no table scan.
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
JOIN pg_namespace n ON n.oid = tc.relnamespace
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
CROSS JOIN LATERAL (SELECT CASE WHEN k.attnum = 0 THEN i.indexrelid ELSE i.indrelid END AS relid,
                           CASE WHEN k.attnum = 0 THEN k.ord::int2 ELSE k.attnum END AS attnum) src
LEFT JOIN pg_attribute a ON a.attrelid = src.relid AND a.attnum = src.attnum
LEFT JOIN pg_stats s
       ON s.schemaname = n.nspname
      AND s.tablename = CASE WHEN k.attnum = 0 THEN ic.relname ELSE tc.relname END
      AND s.attname = a.attname
      AND s.inherited = (k.attnum > 0 AND tc.relkind = 'p')
      AND s.schemaname NOT IN ('pg_catalog', 'information_schema')
WHERE tc.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
GROUP BY i.indexrelid, ic.reloptions, n.nspname, tc.relname, ic.relname
ORDER BY n.nspname, tc.relname, ic.relname;
