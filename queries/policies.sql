-- Row-level security policies with their command, mode, roles and expressions.
SELECT
    pol.polrelid::bigint AS table_oid,
    pol.polname::text AS name,
    CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                    WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS command,
    pol.polpermissive AS permissive,
    ARRAY(SELECT CASE WHEN r.roleid = 0 THEN 'public' ELSE pg_get_userbyid(r.roleid)::text END
          FROM unnest(pol.polroles) r(roleid) ORDER BY 1) AS roles,
    pg_get_expr(pol.polqual, pol.polrelid, false) AS using_expr,
    pg_get_expr(pol.polwithcheck, pol.polrelid, false) AS check_expr
FROM pg_policy pol
JOIN pg_class c ON c.oid = pol.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
ORDER BY n.nspname, c.relname, pol.polname;
