-- ALTER ROLE / ALTER DATABASE ... SET values that apply in this database.
SELECT
    CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole)::text END AS role,
    s.setdatabase <> 0 AS this_database_only,
    s.setconfig::text[] AS settings
FROM pg_db_role_setting s
WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
ORDER BY 1 NULLS FIRST, 2;
