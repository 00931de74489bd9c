-- Row-level security policies with their command, mode, roles and expressions.
-- pg_get_expr/pg_get_*def open the relation: not called on ones locked ACCESS EXCLUSIVE (granted or waiting).
WITH locked AS (
    -- the relations of locks.sql, read once on its own and passed in by the collector (unset in psql: none)
    SELECT unnest(COALESCE(NULLIF(current_setting('pg_auditor.locked', true), ''), '{}')::oid[]) AS oid
)
SELECT
    pol.polrelid::bigint AS table_oid,
    pol.polname::text AS name,
    CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                    WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS command,
    pol.polpermissive AS permissive,
    ARRAY(SELECT CASE WHEN r.roleid = 0 THEN 'public' ELSE pg_get_userbyid(r.roleid)::text END
          FROM unnest(pol.polroles) r(roleid) ORDER BY 1) AS roles,
    CASE WHEN pol.polqual IS NULL THEN NULL WHEN lk.oid IS NULL THEN pg_get_expr(pol.polqual, pol.polrelid, false)
         ELSE '(not read: relation locked)' END AS using_expr,
    CASE WHEN pol.polwithcheck IS NULL THEN NULL
         WHEN lk.oid IS NULL THEN pg_get_expr(pol.polwithcheck, pol.polrelid, false)
         ELSE '(not read: relation locked)' END AS check_expr
FROM pg_policy pol
JOIN pg_class c ON c.oid = pol.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN locked lk ON lk.oid = pol.polrelid
ORDER BY n.nspname, c.relname, pol.polname;
