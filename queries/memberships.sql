-- Role memberships; inherit/set options exist from PostgreSQL 16 on and are read version-agnostically.
SELECT
    pg_get_userbyid(m.roleid)::text AS role,
    pg_get_userbyid(m.member)::text AS member,
    m.admin_option AS admin,
    COALESCE((to_jsonb(m) ->> 'inherit_option')::boolean, mr.rolinherit) AS inherit,
    COALESCE((to_jsonb(m) ->> 'set_option')::boolean, true) AS can_set
FROM pg_auth_members m
JOIN pg_roles mr ON mr.oid = m.member
WHERE pg_get_userbyid(m.roleid) !~ '^pg_' OR pg_get_userbyid(m.member) !~ '^pg_'
ORDER BY 1, 2;
