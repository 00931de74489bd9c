-- How many more connections this audit may open without crowding others out: the server's, this role's
-- and this database's limits and what each has in use (pg_stat_activity lists every backend to every
-- role; only the details of others' sessions are hidden). A limit of -1 is none.
SELECT
    current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int AS server_limit,
    (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS server_used,
    (SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user) AS role_limit,
    (SELECT count(*) FROM pg_stat_activity
      WHERE backend_type = 'client backend' AND usename = current_user)::int AS role_used,
    (SELECT datconnlimit FROM pg_database WHERE datname = current_database()) AS database_limit,
    (SELECT count(*) FROM pg_stat_activity
      WHERE backend_type = 'client backend' AND datname = current_database())::int AS database_used
