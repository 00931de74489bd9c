-- Roles with the attributes that matter for RLS and auditing (predefined pg_* roles left out).
SELECT
    r.oid::bigint AS oid,
    r.rolname::text AS name,
    r.rolsuper AS superuser,
    r.rolbypassrls AS bypassrls,
    r.rolcanlogin AS login,
    r.rolinherit AS inherit,
    r.rolcreaterole AS createrole,
    r.rolcreatedb AS createdb,
    r.rolconnlimit::int AS connection_limit
FROM pg_roles r
WHERE r.rolname !~ '^pg_'
ORDER BY r.rolname;
