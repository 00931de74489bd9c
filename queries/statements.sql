-- The heaviest statements of this database in pg_stat_statements: the top {limit} by total time and the
-- top {limit} by mean time (one list, each statement once). {schema} is the extension's schema.
-- Without pg_read_all_stats, statements another role ran show "<insufficient privilege>" as their text and
-- no queryid: they are summed into one row of queryid 0, so their share of the time still shows.
-- pg-auditor's own queries (they start with its marker comment) are left out.
WITH s AS (
    SELECT
        COALESCE(queryid, 0) AS queryid,
        query,
        calls,
        total_exec_time AS total_ms,  -- PG13+
        mean_exec_time AS mean_ms,  -- PG13+
        total_time AS total_ms,  -- before PG13
        mean_time AS mean_ms,  -- before PG13
        rows,
        shared_blks_hit,
        shared_blks_read
    FROM {schema}.pg_stat_statements
    WHERE dbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
      AND query NOT LIKE '/* pg-auditor */%'
      AND toplevel  -- PG14+
),
merged AS (  -- one row per statement: the same text can be run by several roles
    SELECT
        queryid,
        min(query) AS query,
        sum(calls)::bigint AS calls,
        sum(total_ms)::float8 AS total_ms,
        (sum(total_ms) / NULLIF(sum(calls), 0))::float8 AS mean_ms,
        sum(rows)::bigint AS rows,
        sum(shared_blks_hit)::bigint AS shared_blks_hit,
        sum(shared_blks_read)::bigint AS shared_blks_read
    FROM s
    GROUP BY queryid
)
SELECT queryid, query, calls, total_ms, COALESCE(mean_ms, 0) AS mean_ms, rows, shared_blks_hit, shared_blks_read
FROM merged
WHERE queryid IN (SELECT queryid FROM merged ORDER BY total_ms DESC, queryid LIMIT {limit})
   OR queryid IN (SELECT queryid FROM merged ORDER BY mean_ms DESC NULLS LAST, queryid LIMIT {limit})
ORDER BY total_ms DESC, queryid;
