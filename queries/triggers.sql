-- User triggers (internal FK and partition-clone triggers left out).
SELECT
    t.tgrelid::bigint AS table_oid,
    t.tgname::text AS name,
    p.oid::bigint AS function_oid,
    quote_ident(pn.nspname) || '.' || quote_ident(p.proname) AS function,
    p.prosecdef AS function_security_definer,
    CASE WHEN t.tgtype & 2 <> 0 THEN 'BEFORE' WHEN t.tgtype & 64 <> 0 THEN 'INSTEAD OF' ELSE 'AFTER' END AS timing,
    array_remove(ARRAY[
        CASE WHEN t.tgtype & 4 <> 0 THEN 'INSERT' END,
        CASE WHEN t.tgtype & 16 <> 0 THEN 'UPDATE' END,
        CASE WHEN t.tgtype & 8 <> 0 THEN 'DELETE' END,
        CASE WHEN t.tgtype & 32 <> 0 THEN 'TRUNCATE' END
    ], NULL) AS events,
    CASE WHEN t.tgtype & 1 <> 0 THEN 'ROW' ELSE 'STATEMENT' END AS level,
    t.tgenabled::text AS enabled,
    t.tgparentid::bigint <> 0 AS is_clone
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
ORDER BY n.nspname, c.relname, t.tgname;
