-- Relations with an AccessExclusiveLock granted or waiting: never call size or definition functions on them.
SELECT DISTINCT
    l.relation::bigint AS oid,
    bool_or(l.granted) OVER (PARTITION BY l.relation) AS granted
FROM pg_locks l
WHERE l.locktype = 'relation'
  AND l.mode = 'AccessExclusiveLock'
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.relation IS NOT NULL
  AND l.pid <> pg_backend_pid()  -- our own locks never block us
ORDER BY 1;
