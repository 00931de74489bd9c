-- Functions the isolation analysis reads: SECURITY DEFINER and trigger functions, and every LANGUAGE sql or
-- plpgsql function outside the system schemas (policies and views call them: their bodies say what a helper
-- such as has_role_on_account() checks). Bodies are cut at 20,000 characters; the ACL says who may execute.
SELECT
    p.oid::bigint AS oid,
    n.nspname::text AS schema,
    p.proname::text AS name,
    pg_get_function_identity_arguments(p.oid) AS arguments,
    pg_get_userbyid(p.proowner)::text AS owner,
    p.prosecdef AS security_definer,
    p.prokind::text AS kind,
    l.lanname::text AS language,
    p.provolatile::text AS volatility,
    p.proleakproof AS leakproof,
    COALESCE(p.proconfig::text[], '{}') AS config,
    has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute,
    p.prorettype = 'trigger'::regtype AS returns_trigger,
    CASE WHEN l.lanname IN ('sql', 'plpgsql') THEN left(p.prosrc, 20000) END AS body,
    p.proacl::text[] AS acl,
    COALESCE(p.proargnames::text[], '{}') AS arg_names,
    format_type(p.prorettype, NULL) AS returns
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE (p.prosecdef OR p.prorettype = 'trigger'::regtype OR l.lanname IN ('sql', 'plpgsql'))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
        AND d.refclassid = 'pg_extension'::regclass
  )
ORDER BY n.nspname, p.proname, 4;
