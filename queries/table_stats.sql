-- Table activity counters and (auto)vacuum/analyze times; last_seq_scan exists from PostgreSQL 16 on.
-- Each column named is a statistics function call per table (to_jsonb of the row would call them all).
-- The pg_stats sums are the inputs of the heap bloat estimate (the one pghero and check_postgres use):
-- the average row's data width, whether any column holds NULLs, and how many columns have statistics.
WITH widths AS (
    SELECT st.schemaname, st.tablename, count(*)::int AS stat_columns,
           sum((1 - st.null_frac) * st.avg_width)::float8 AS data_width,
           max(st.null_frac)::float8 AS max_null_frac
    FROM pg_stats st
    WHERE NOT st.inherited AND st.schemaname NOT IN ('pg_catalog', 'information_schema')
    GROUP BY st.schemaname, st.tablename
)
SELECT
    s.relid::bigint AS table_oid,
    s.seq_scan::bigint AS seq_scan,
    s.seq_tup_read::bigint AS seq_tup_read,
    s.idx_scan::bigint AS idx_scan,
    s.n_live_tup::bigint AS n_live_tup,
    s.n_dead_tup::bigint AS n_dead_tup,
    s.n_mod_since_analyze::bigint AS n_mod_since_analyze,
    s.n_tup_ins::bigint AS n_tup_ins,
    s.n_tup_upd::bigint AS n_tup_upd,
    s.n_tup_del::bigint AS n_tup_del,
    s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze,
    s.vacuum_count + s.autovacuum_count AS vacuum_count,
    s.analyze_count + s.autoanalyze_count AS analyze_count,
    (SELECT count(*)::int FROM pg_attribute a WHERE a.attrelid = s.relid AND a.attnum > 0
     AND NOT a.attisdropped) AS columns,
    COALESCE(w.stat_columns, 0) AS stat_columns,
    w.data_width,
    w.max_null_frac,
    NULL::timestamptz AS last_seq_scan  -- before PG16
    s.last_seq_scan AS last_seq_scan  -- PG16+
FROM pg_stat_user_tables s
LEFT JOIN widths w ON w.schemaname = s.schemaname AND w.tablename = s.relname
ORDER BY s.schemaname, s.relname;
