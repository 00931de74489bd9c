-- Index builds running now (CREATE INDEX [CONCURRENTLY], REINDEX [CONCURRENTLY]): their index is invalid
-- until they finish and must not be reported as a failed build. Other users' rows need pg_read_all_stats.
SELECT
    p.relid::bigint AS table_oid,
    p.index_relid::bigint AS index_oid,
    p.command::text AS command,
    p.phase::text AS phase
FROM pg_stat_progress_create_index p
WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY 1, 2;
