-- Tables, partitioned tables and foreign tables with partitioning, RLS, ownership, size and comment.
-- Sizes are estimates from relpages (heap + TOAST + indexes, as of the last VACUUM, ANALYZE or CREATE
-- INDEX): pg_total_relation_size would open every table and index (locks, relcache, file stats), which
-- costs seconds on 10,000 tables and can queue behind DDL. `locked` names relations someone holds (or
-- waits for) an AccessExclusiveLock on.
WITH locked AS (
    -- the relations of locks.sql, read once on its own and passed in by the collector (unset in psql: none)
    SELECT unnest(COALESCE(NULLIF(current_setting('pg_auditor.locked', true), ''), '{}')::oid[]) AS oid
),
index_pages AS (
    SELECT i.indrelid AS oid, sum(ic.relpages)::bigint AS pages
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
    GROUP BY i.indrelid
)
SELECT
    c.oid::bigint AS oid,
    n.nspname::text AS schema,
    c.relname::text AS name,
    c.relkind::text AS kind,
    c.relpersistence::text AS persistence,
    pg_get_userbyid(c.relowner)::text AS owner,
    c.reltuples::float8 AS reltuples,
    c.relpages::bigint AS relpages,
    CASE WHEN c.relkind IN ('r', 'm')
         THEN (c.relpages::bigint + COALESCE(tc.relpages, 0) + COALESCE(ti.pages, 0) + COALESCE(ix.pages, 0))
              * current_setting('block_size')::bigint END AS total_bytes,
    CASE WHEN c.relkind IN ('r', 'm') THEN c.relpages::bigint * current_setting('block_size')::bigint END AS table_bytes,
    lk.oid IS NOT NULL AS locked,
    c.relrowsecurity AS rls_enabled,
    c.relforcerowsecurity AS rls_forced,
    c.relispartition AS is_partition,
    (SELECT i.inhparent::bigint FROM pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition) AS parent_oid,
    COALESCE((SELECT (to_jsonb(i) ->> 'inhdetachpending')::boolean
              FROM pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition), false) AS detach_pending,
    ARRAY(SELECT i.inhparent::bigint FROM pg_inherits i
          WHERE i.inhrelid = c.oid AND NOT c.relispartition ORDER BY i.inhseqno) AS inherits_from,
    p.partstrat::text AS partition_strategy,
    CASE WHEN p.partrelid IS NULL THEN NULL WHEN lk.oid IS NULL THEN pg_get_partkeydef(c.oid)
         ELSE '(not read: relation locked)' END AS partition_key,
    CASE WHEN p.partrelid IS NULL THEN '{}'::text[]
         ELSE ARRAY(SELECT a.attname::text
                    FROM unnest(p.partattrs::int2[]) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                    ORDER BY k.ord) END AS partition_key_columns,
    CASE WHEN NOT c.relispartition THEN NULL WHEN lk.oid IS NULL THEN pg_get_expr(c.relpartbound, c.oid)
         ELSE '(not read: relation locked)' END AS partition_bound,
    c.relreplident::text AS replica_identity,
    c.relacl::text[] AS acl,
    dsc.description AS comment,
    c.reloptions::text[] || ARRAY(SELECT 'toast.' || o FROM unnest(tc.reloptions) o) AS options,  -- as ALTER TABLE SET
    CASE WHEN c.relkind IN ('r', 'm') THEN greatest(age(c.relfrozenxid), age(tc.relfrozenxid)) END AS xid_age,
    CASE WHEN c.relkind IN ('r', 'm') THEN greatest(mxid_age(c.relminmxid), mxid_age(tc.relminmxid)) END AS mxid_age
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_partitioned_table p ON p.partrelid = c.oid
LEFT JOIN locked lk ON lk.oid = c.oid
LEFT JOIN pg_class tc ON tc.oid = c.reltoastrelid
LEFT JOIN index_pages ti ON ti.oid = c.reltoastrelid
LEFT JOIN index_pages ix ON ix.oid = c.oid
LEFT JOIN pg_description dsc ON dsc.objoid = c.oid AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = 0
WHERE c.relkind IN ('r', 'p', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
        AND d.refclassid = 'pg_extension'::regclass
  )
ORDER BY n.nspname, c.relname;
