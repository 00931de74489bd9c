-- Sequences with type, bounds and the column that owns them, from pg_sequence and pg_class alone: no
-- sequence is opened or locked here. (pg_sequences.last_value calls pg_sequence_last_value(), which takes
-- RowExclusiveLock on every sequence and so queues behind an ALTER SEQUENCE.) The last values are read
-- afterwards by the collector straight from the sequences this role may SELECT and no session holds or
-- awaits ACCESS EXCLUSIVE: AccessShareLock only, a bounded number per query (collect.sequence_values).
SELECT
    c.oid::bigint AS oid,
    n.nspname::text AS schema,
    c.relname::text AS name,
    format_type(s.seqtypid, NULL) AS data_type,
    s.seqmin AS min_value,
    s.seqmax AS max_value,
    s.seqincrement AS increment,
    s.seqcycle AS cycle,
    NULL::bigint AS last_value,
    has_sequence_privilege(c.oid, 'SELECT')
        AND NOT (c.relpersistence = 'u' AND pg_is_in_recovery()) AS readable,  -- unlogged: unreadable on a standby
    d.refobjid::bigint AS owner_table_oid,
    a.attname::text AS owner_column,
    d.deptype::text AS owner_kind,
    COALESCE(dt.tables, '{}') AS default_tables,
    COALESCE(dt.owner_default, false) AS owner_default
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                     AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
-- the relations whose column defaults call it (one per column), and whether the owner's is one: one pass over its
-- pg_depend entries for both (an ARRAY and an EXISTS subquery read them twice per sequence)
CROSS JOIN LATERAL (
    SELECT array_agg(ad.adrelid::bigint ORDER BY ad.adrelid::bigint) AS tables,
           bool_or(ad.adrelid = d.refobjid AND ad.adnum = d.refobjsubid) AS owner_default
    FROM pg_depend dd JOIN pg_attrdef ad ON ad.oid = dd.objid
    WHERE dd.refclassid = 'pg_class'::regclass AND dd.refobjid = c.oid AND dd.classid = 'pg_attrdef'::regclass
) dt
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND c.relpersistence <> 't'  -- another session's temporary sequence cannot be read
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend e
      WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e'
        AND e.refclassid = 'pg_extension'::regclass
  )
ORDER BY n.nspname, c.relname;
