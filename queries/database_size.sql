-- The database's size on disk. Apart from server.sql because pg_database_size() stats every file of the
-- database (slow on a slow filesystem): the collector reads it last, under a short statement_timeout,
-- and an audit that cannot read it only lacks the figure.
SELECT pg_database_size(current_database()) AS database_bytes;
