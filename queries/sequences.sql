-- Sequences with type, bounds, last value (NULL before first use, or without USAGE/SELECT: see readable) and the column that owns them.
SELECT
    c.oid::bigint AS oid,
    n.nspname::text AS schema,
    c.relname::text AS name,
    format_type(s.seqtypid, NULL) AS data_type,
    s.seqmin AS min_value,
    s.seqmax AS max_value,
    s.seqincrement AS increment,
    s.seqcycle AS cycle,
    CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE') THEN ps.last_value END AS last_value,
    has_sequence_privilege(c.oid, 'SELECT,USAGE') AS readable,
    d.refobjid::bigint AS owner_table_oid,
    a.attname::text AS owner_column,
    d.deptype::text AS owner_kind
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = c.relname
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                     AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend e
      WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e'
  )
ORDER BY n.nspname, c.relname;
