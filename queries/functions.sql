-- SECURITY DEFINER functions and trigger functions, with the settings they pin (proconfig).
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
    p.prorettype = 'trigger'::regtype AS returns_trigger
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE (p.prosecdef OR p.prorettype = 'trigger'::regtype)
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, p.proname, 4;
