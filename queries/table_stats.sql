-- Table activity counters and (auto)vacuum/analyze times; last_seq_scan exists from PostgreSQL 16 on.
-- Each column named is a statistics function call per table (to_jsonb of the row would call them all).
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
    NULL::timestamptz AS last_seq_scan  -- before PG16
    s.last_seq_scan AS last_seq_scan  -- PG16+
FROM pg_stat_user_tables s
ORDER BY s.schemaname, s.relname;
