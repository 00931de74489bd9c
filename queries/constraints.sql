-- Table constraints of every type (NOT NULL entries of PostgreSQL 18 are left out: nullability is on columns).
-- pg_get_constraintdef runs only for CHECK, exclusion and constraint-trigger constraints, whose expressions need
-- the server's deparser; it waits behind an AccessExclusiveLock, so it is not called on locked relations (granted
-- or waiting). PRIMARY KEY, UNIQUE and FOREIGN KEY definitions (`definition` NULL) are assembled on first read by
-- auditor/constraintdef.py from the columns after `comment`: which key names the server quotes (quote_ident: its
-- keywords, its quote_all_identifiers), the referenced table as it names it, INCLUDE and SET NULL/DEFAULT columns
-- quoted. pg_get_constraintdef for them was about a fifth of this query on a 40,000-constraint catalog.
-- Key column names come from one bulk unnest joined to pg_attribute, not a subquery per constraint.
WITH locked AS (
    -- the relations of locks.sql, read once on its own and passed in by the collector (unset in psql: none)
    SELECT unnest(COALESCE(NULLIF(current_setting('pg_auditor.locked', true), ''), '{}')::oid[]) AS oid
),
relation_order AS (
    -- each table's place in (schema, name) order: the rows sort on it, an integer, not on the names (see columns.sql);
    -- every relation kind but those that never have constraints (indexes, sequences, TOAST, composite types)
    SELECT c.oid, row_number() OVER (ORDER BY n.nspname, c.relname) AS ord
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'f', 'm', 'v')
),
key_names AS (
    -- aggregated from rows already in key order: an ORDER BY in each array_agg sorted every constraint's keys once
    -- per aggregate (40,000 constraints: ~80 ms of server CPU). Nothing between the sort and the GROUP BY.
    SELECT
        k.oid,
        array_agg(k.attname) FILTER (WHERE k.side = 'c') AS columns,
        array_agg(k.attname) FILTER (WHERE k.side = 'f') AS ref_columns,
        -- which of those names pg_get_constraintdef prints quoted (bit n-1: the n-th), NULL when none (the usual case)
        bit_or(1::int8 << (k.ord::int - 1)) FILTER (WHERE k.side = 'c' AND quote_ident(k.attname) <> k.attname)
            AS columns_quote_mask,
        bit_or(1::int8 << (k.ord::int - 1)) FILTER (WHERE k.side = 'f' AND quote_ident(k.attname) <> k.attname)
            AS ref_columns_quote_mask
    FROM (
        SELECT con.oid, k.side, k.ord, a.attname::text
        FROM pg_constraint con
        CROSS JOIN LATERAL (
            SELECT 'c' AS side, u.attnum, u.ord, con.conrelid AS relid
            FROM unnest(con.conkey::int2[]) WITH ORDINALITY u(attnum, ord)
            UNION ALL
            SELECT 'f', u.attnum, u.ord, con.confrelid
            FROM unnest(con.confkey::int2[]) WITH ORDINALITY u(attnum, ord)
        ) k
        JOIN pg_attribute a ON a.attrelid = k.relid AND a.attnum = k.attnum
        WHERE con.conrelid <> 0 AND con.contype IN ('p', 'u', 'f', 'c', 'x', 't')
        ORDER BY con.oid, k.ord
    ) k
    GROUP BY k.oid
),
set_names AS (  -- PG15+
    SELECT con.oid, array_agg(quote_ident(a.attname) ORDER BY u.ord) AS quoted_set_columns  -- PG15+
    FROM pg_constraint con  -- PG15+
    CROSS JOIN LATERAL unnest(con.confdelsetcols::int2[]) WITH ORDINALITY u(attnum, ord)  -- PG15+
    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = u.attnum  -- PG15+
    WHERE con.confdelsetcols IS NOT NULL  -- PG15+
    GROUP BY con.oid  -- PG15+
),  -- PG15+
index_parts AS (  -- the few key indexes a PRIMARY KEY / UNIQUE prints more of: INCLUDE columns, NULLS NOT DISTINCT
    SELECT
        i.indexrelid,
        array_agg(quote_ident(a.attname) ORDER BY u.ord) FILTER (WHERE u.ord > i.indnkeyatts) AS quoted_include,
        false AS nulls_not_distinct  -- before PG15
        bool_or(i.indnullsnotdistinct) AS nulls_not_distinct  -- PG15+
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY u(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.attnum
    WHERE (i.indnatts > i.indnkeyatts
           OR i.indnullsnotdistinct  -- PG15+
          ) AND (i.indisprimary OR i.indisunique)
    GROUP BY i.indexrelid
)
SELECT
    con.oid::bigint AS oid,
    con.conrelid::bigint AS table_oid,
    con.conname::text AS name,
    con.contype::text AS type,
    COALESCE(kn.columns, '{}') AS columns,
    NULLIF(con.confrelid, 0)::bigint AS ref_table_oid,
    COALESCE(kn.ref_columns, '{}') AS ref_columns,
    NULLIF(con.confdeltype::text, ' ') AS on_delete,
    NULLIF(con.confupdtype::text, ' ') AS on_update,
    NULLIF(con.confmatchtype::text, ' ') AS match_type,
    con.convalidated AS validated,
    con.condeferrable AS deferrable,
    con.condeferred AS deferred,
    con.conislocal AS is_local,
    con.coninhcount::int AS inherited_count,
    NULLIF(con.conparentid, 0)::bigint AS parent_oid,
    NULLIF(con.conindid, 0)::bigint AS index_oid,
    CASE WHEN con.contype IN ('p', 'u', 'f') THEN NULL
         WHEN NOT EXISTS (SELECT 1 FROM locked lk WHERE lk.oid IN (con.conrelid, con.confrelid))
         THEN pg_get_constraintdef(con.oid, true) ELSE '(not read: relation locked)' END AS definition,
    dsc.description AS comment,
    kn.columns_quote_mask,
    -- as generate_relation_name prints it: regclass output, qualified unless visible in the search_path
    CASE WHEN con.contype = 'f' THEN con.confrelid::regclass::text END AS quoted_ref_table,
    kn.ref_columns_quote_mask,
    NULL::text[] AS quoted_set_columns,  -- before PG15
    sn.quoted_set_columns,  -- PG15+
    ip.quoted_include,
    COALESCE(ip.nulls_not_distinct, false) AS nulls_not_distinct,
    false AS period,  -- before PG18
    con.conperiod AS period,  -- PG18+
    true AS enforced  -- before PG18
    con.conenforced AS enforced  -- PG18+
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
LEFT JOIN relation_order ro ON ro.oid = c.oid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN key_names kn ON kn.oid = con.oid
LEFT JOIN set_names sn ON sn.oid = con.oid  -- PG15+
LEFT JOIN index_parts ip ON ip.indexrelid = con.conindid AND con.contype IN ('p', 'u')
LEFT JOIN pg_description dsc ON dsc.objoid = con.oid AND dsc.classoid = 'pg_constraint'::regclass
                             AND dsc.objsubid = 0
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x', 't')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
        AND d.refclassid = 'pg_extension'::regclass
  )
ORDER BY ro.ord, con.conname;  -- = n.nspname, c.relname, con.conname
