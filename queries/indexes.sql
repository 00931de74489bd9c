-- Indexes with ordered keys (columns or expressions), INCLUDE columns, predicate, opclasses and backing constraint,
-- and the parts of the definition, which auditor/indexdef.py assembles exactly as pg_get_indexdef() prints it, only
-- for the indexes whose definition is read. pg_get_indexdef() itself is not called: it scans pg_opclass once per key
-- to find the default opclass, half this query's time on a 50,000-index catalog.
-- Set-based: every index's key positions are unnested once and joined to pg_attribute, pg_opclass and
-- pg_collation in bulk (no per-index subqueries); pg_get_indexdef(oid, n) runs only for expression keys. The
-- default opclass (GetDefaultOpClass) is worked out once per (access method, type) pair that needs it.
-- Sizes are relpages estimates (no relation is opened, so no locks and no file access). The expression functions
-- wait behind an AccessExclusiveLock, so they are not called for indexes of locked relations.
WITH RECURSIVE locked AS (
    -- the relations of locks.sql, read once on its own and passed in by the collector (unset in psql: none)
    SELECT unnest(COALESCE(NULLIF(current_setting('pg_auditor.locked', true), ''), '{}')::oid[]) AS oid
),
relation_order AS (
    -- each table's place in (schema, name) order: the rows sort on it, an integer, not on the names (see columns.sql)
    SELECT c.oid, row_number() OVER (ORDER BY n.nspname, c.relname) AS ord
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm')
),
locked_indexes AS (
    SELECT DISTINCT i.indexrelid
    FROM pg_index i JOIN locked l ON l.oid IN (i.indexrelid, i.indrelid)
),
domain_base(oid, base, depth) AS (  -- a domain's base type, through domains over domains
    SELECT t.oid, t.typbasetype, 1 FROM pg_type t WHERE t.typtype = 'd'
    UNION ALL
    SELECT d.oid, t.typbasetype, d.depth + 1 FROM domain_base d JOIN pg_type t ON t.oid = d.base AND t.typtype = 'd'
),
index_attributes AS (  -- the key types of expression indexes, where their opclass stores no other type
    SELECT ia.attrelid, ia.attnum, ia.atttypid
    FROM pg_index x
    JOIN pg_attribute ia ON ia.attrelid = x.indexrelid
    JOIN pg_opclass c ON c.oid = (x.indclass::oid[])[ia.attnum - 1] AND c.opckeytype = 0
    WHERE x.indexprs IS NOT NULL
),
option_lists AS (  -- an index's WITH (...) (attnum 0) and its opclass options as pg_get_indexdef prints them:
                   -- name=value, the value quoted unless it reads back as an identifier unquoted
    SELECT src.relid, src.attnum,
           string_agg(quote_ident(split_part(u.o, '=', 1)) || '=' || CASE WHEN quote_ident(w.v) = w.v THEN w.v
                          ELSE '''' || replace(CASE WHEN current_setting('standard_conforming_strings') = 'off'
                                                    THEN replace(w.v, E'\\', E'\\\\') ELSE w.v END,
                                               '''', '''''') || '''' END,
                      ', ' ORDER BY u.n) AS options
    FROM (SELECT c.oid, 0::int2, c.reloptions FROM pg_class c WHERE c.relkind IN ('i', 'I') AND c.reloptions IS NOT NULL
          UNION ALL
          SELECT a.attrelid, a.attnum, a.attoptions FROM pg_attribute a WHERE a.attoptions IS NOT NULL
         ) src(relid, attnum, opts)
    CROSS JOIN LATERAL unnest(src.opts) WITH ORDINALITY u(o, n)
    CROSS JOIN LATERAL (SELECT CASE WHEN strpos(u.o, '=') > 0 THEN substr(u.o, strpos(u.o, '=') + 1) ELSE '' END) w(v)
    GROUP BY src.relid, src.attnum
),
index_keys AS MATERIALIZED (  -- one row per key column, key expression and INCLUDE column (kept narrow: 100,000s)
    SELECT
        i.indexrelid, k.ord, k.ord <= i.indnkeyatts AS is_key, k.attnum, k.opc, k.coll, k.opt, a.attname::text,
        a.attcollation, ol.options, lx.indexrelid IS NOT NULL AS locked, 0 = ANY (i.indkey::int2[]) AS has_expression,
        -- the type GetDefaultOpClass() is asked about: a column's, an expression's (the index column's type,
        -- unless the opclass stores another), domains reduced to their base
        COALESCE(db.base, kt.oid) AS base_type
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indclass::oid[], i.indcollation::oid[], i.indoption::int2[])
        WITH ORDINALITY k(attnum, opc, coll, opt, ord)
    LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum <> 0
    LEFT JOIN index_attributes ia ON ia.attrelid = i.indexrelid AND ia.attnum = k.ord
    LEFT JOIN option_lists ol ON ol.relid = i.indexrelid AND ol.attnum = k.ord
    CROSS JOIN LATERAL (SELECT CASE WHEN k.attnum <> 0 THEN a.atttypid ELSE ia.atttypid END) kt(oid)
    LEFT JOIN (SELECT DISTINCT ON (oid) oid, base FROM domain_base ORDER BY oid, depth DESC) db ON db.oid = kt.oid
    LEFT JOIN locked_indexes lx ON lx.indexrelid = i.indexrelid
    WHERE i.indrelid >= 16384
),
default_opclass AS (
    -- GetDefaultOpClass() for the keys whose default opclass takes another input type (a varchar column under
    -- text_ops, an int[] under array_ops): an exact match, else the one binary-coercible default whose type is
    -- preferred in the type's category, else the only binary-coercible one.
    SELECT p.am, p.base,
           CASE WHEN count(*) FILTER (WHERE d.opcintype = p.base) = 1 THEN min(d.oid) FILTER (WHERE d.opcintype = p.base)
                WHEN count(*) FILTER (WHERE d.opcintype = p.base) > 1 THEN NULL
                WHEN count(*) FILTER (WHERE it.typispreferred AND it.typcategory = bt.typcategory) = 1
                    THEN min(d.oid) FILTER (WHERE it.typispreferred AND it.typcategory = bt.typcategory)
                WHEN count(*) FILTER (WHERE it.typispreferred AND it.typcategory = bt.typcategory) = 0
                     AND count(*) = 1 THEN min(d.oid)
           END AS opc,
           array_agg(d.oid) AS compatible
    FROM (SELECT DISTINCT c.opcmethod AS am, k.base AS base
          FROM (SELECT DISTINCT opc, base_type FROM index_keys) k(opc, base)
          JOIN pg_opclass c ON c.oid = k.opc AND c.opcdefault AND c.opcintype <> k.base) p
    JOIN pg_type bt ON bt.oid = p.base
    LEFT JOIN pg_type bte ON bte.oid = bt.typelem AND bt.typlen = -1
    JOIN pg_opclass d ON d.opcmethod = p.am AND d.opcdefault
    JOIN pg_type it ON it.oid = d.opcintype
    LEFT JOIN pg_cast c ON c.castsource = p.base AND c.casttarget = d.opcintype
                       AND c.castmethod = 'b' AND c.castcontext = 'i'
    WHERE d.opcintype = p.base OR c.oid IS NOT NULL  -- IsBinaryCoercible(), with its polymorphic targets:
       OR (it.typtype = 'p' AND CASE it.typname
              WHEN 'any' THEN true WHEN 'anyelement' THEN true WHEN 'anycompatible' THEN true
              WHEN 'anyarray' THEN bte.oid IS NOT NULL WHEN 'anycompatiblearray' THEN bte.oid IS NOT NULL
              WHEN 'anynonarray' THEN bte.oid IS NULL WHEN 'anycompatiblenonarray' THEN bte.oid IS NULL
              WHEN 'anyenum' THEN bt.typtype = 'e'
              WHEN 'anyrange' THEN bt.typtype = 'r' WHEN 'anycompatiblerange' THEN bt.typtype = 'r'
              WHEN 'anymultirange' THEN bt.typtype = 'm' WHEN 'anycompatiblemultirange' THEN bt.typtype = 'm'
              WHEN 'record' THEN bt.typtype = 'c'
              WHEN '_record' THEN bte.typtype = 'c' OR bte.oid = 'record'::regtype
              ELSE false END)
    GROUP BY p.am, p.base
),
ordered_am AS (SELECT oid FROM pg_am WHERE amtype = 'i' AND pg_indexam_has_property(oid, 'can_order')),
key_parts AS (
    -- Aggregated from rows already in key order: an ORDER BY in each array_agg sorted every index's keys once per
    -- aggregate (60,000 indexes x 9 aggregates: a third of this query). Nothing between the sort and the GROUP BY.
    SELECT
        k.indexrelid,
        array_agg(CASE WHEN k.attnum <> 0 THEN k.attname END) FILTER (WHERE k.is_key) AS columns,
        array_agg(CASE WHEN k.attnum <> 0 THEN quote_ident(k.attname)
                       WHEN k.locked THEN '(not read: relation locked)'
                       ELSE pg_get_indexdef(k.indexrelid, k.ord::int, true) END) FILTER (WHERE k.is_key) AS keys,
        array_agg(k.attname) FILTER (WHERE NOT k.is_key) AS include_columns,
        array_agg(k.opcname) FILTER (WHERE k.is_key) AS opclasses,
        array_agg(COALESCE(k.collname, '')) FILTER (WHERE k.is_key) AS collations,
        -- the definition's parts: expressions as it prints them (not pretty-printed), INCLUDE columns quoted,
        -- and what follows each key (COLLATE, opclass, opclass options, DESC, NULLS FIRST/LAST)
        array_agg(CASE WHEN k.attnum <> 0 THEN NULL
                       WHEN k.locked THEN '(not read: relation locked)'
                       ELSE pg_get_indexdef(k.indexrelid, k.ord::int, false) END)
            FILTER (WHERE k.is_key AND k.has_expression) AS definition_keys,
        array_agg(quote_ident(k.attname)) FILTER (WHERE NOT k.is_key) AS definition_include,
        array_agg(k.suffix) FILTER (WHERE k.is_key) AS suffixes,
        bool_or(k.suffix <> '') AS has_suffix,
        -- an expression's collation prints only where it is not the expression's own: decided from indexprs
        CASE WHEN bool_or(k.attnum = 0 AND k.coll <> 0) THEN
            array_agg(CASE WHEN k.attnum = 0 AND k.coll <> 0 THEN k.coll::regcollation::text END)
                FILTER (WHERE k.is_key AND k.has_expression)
        END AS expression_collations
    FROM (
        SELECT k.*, opc.opcname::text, co.collname::text, concat(
            CASE WHEN k.attnum <> 0 AND k.coll <> 0 AND k.coll <> k.attcollation
                 THEN ' COLLATE ' || k.coll::regcollation::text END,
            -- (an expression's index column holds another type where the access method stores one, as hash
            -- stores int4: the opclass's default then counts as the expression's own)
            CASE WHEN k.options IS NOT NULL OR NOT opc.opcdefault
                      OR (opc.opcintype <> k.base_type AND k.opc = ANY (dop.compatible)
                          AND dop.opc IS DISTINCT FROM k.opc)
                 THEN ' ' || CASE WHEN pg_opclass_is_visible(k.opc) THEN quote_ident(opc.opcname)
                                  ELSE quote_ident(opn.nspname) || '.' || quote_ident(opc.opcname) END END,
            ' (' || k.options || ')',
            CASE WHEN oam.oid IS NULL THEN NULL
                 WHEN k.opt & 1 = 1 THEN CASE WHEN k.opt & 2 = 2 THEN ' DESC' ELSE ' DESC NULLS LAST' END
                 WHEN k.opt & 2 = 2 THEN ' NULLS FIRST' END
            ) AS suffix
        FROM index_keys k
        LEFT JOIN pg_opclass opc ON opc.oid = k.opc
        LEFT JOIN pg_namespace opn ON opn.oid = opc.opcnamespace
        LEFT JOIN pg_collation co ON co.oid = k.coll
        LEFT JOIN default_opclass dop ON dop.am = opc.opcmethod AND dop.base = k.base_type
        LEFT JOIN ordered_am oam ON oam.oid = opc.opcmethod
        ORDER BY k.indexrelid, k.ord
    ) k
    GROUP BY k.indexrelid
)
SELECT
    i.indexrelid::bigint AS oid,
    i.indrelid::bigint AS table_oid,
    ic.relname::text AS name,
    am.amname::text AS method,
    i.indisunique AS is_unique,
    i.indisprimary AS is_primary,
    i.indisexclusion AS is_exclusion,
    i.indisvalid AS is_valid,
    i.indisready AS is_ready,
    i.indnkeyatts::int AS key_count,
    COALESCE(kp.columns, '{}') AS columns,
    COALESCE(kp.keys, '{}') AS keys,
    COALESCE(kp.include_columns, '{}') AS include_columns,
    COALESCE(kp.opclasses, '{}') AS opclasses,
    COALESCE(kp.collations, '{}') AS collations,
    i.indoption::int2[]::int[] AS options,
    CASE WHEN i.indpred IS NULL THEN NULL WHEN lx.indexrelid IS NULL THEN pg_get_expr(i.indpred, i.indrelid, true)
         ELSE '(not read: relation locked)' END AS predicate,
    NULL::text AS definition,  -- built on first read from the definition_* columns (auditor/indexdef.py)
    ic.relpages::bigint * current_setting('block_size')::bigint AS bytes,
    ic.relpages::bigint AS relpages,
    ic.reltuples::float8 AS reltuples,
    con.conname::text AS constraint_name,
    con.contype::text AS constraint_type,
    inh.inhparent::bigint AS parent_index_oid,
    ic.relkind = 'I' AS is_partitioned,
    dsc.description AS comment,
    false AS nulls_not_distinct,  -- before PG15
    i.indnullsnotdistinct AS nulls_not_distinct,  -- PG15+
    -- The head, CREATE [UNIQUE ]INDEX name ON [ONLY ]schema.table USING method, in parts: what follows ON is
    -- the same for a table's indexes (one string for them all), the name is sent quoted only when quoting
    -- changes it. (definition_head: the whole head, in snapshots saved before these parts.)
    NULL::text AS definition_head,
    CASE WHEN ic.relkind = 'I' THEN 'ONLY ' ELSE '' END
        || quote_ident(n.nspname) || '.' || quote_ident(tc.relname) || ' USING ' || quote_ident(am.amname)
        AS definition_on,
    NULLIF(quote_ident(ic.relname), ic.relname::text) AS quoted_name,
    kp.definition_keys,
    kp.definition_include,
    CASE WHEN kp.has_suffix THEN kp.suffixes END AS definition_suffixes,
    kp.expression_collations,
    CASE WHEN kp.expression_collations IS NOT NULL THEN i.indcollation::oid[]::bigint[] END AS collation_oids,
    CASE WHEN kp.expression_collations IS NOT NULL THEN i.indexprs::text END AS expressions,
    ro.options AS definition_with,
    CASE WHEN i.indpred IS NULL THEN NULL WHEN lx.indexrelid IS NULL THEN pg_get_expr(i.indpred, i.indrelid)
         ELSE '(not read: relation locked)' END AS definition_predicate
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class tc ON tc.oid = i.indrelid
LEFT JOIN relation_order rk ON rk.oid = tc.oid
JOIN pg_namespace n ON n.oid = tc.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN key_parts kp ON kp.indexrelid = i.indexrelid
LEFT JOIN locked_indexes lx ON lx.indexrelid = i.indexrelid
LEFT JOIN option_lists ro ON ro.relid = i.indexrelid AND ro.attnum = 0
LEFT JOIN pg_inherits inh ON inh.inhrelid = i.indexrelid
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                           AND con.contype IN ('p', 'u', 'x')
LEFT JOIN pg_description dsc ON dsc.objoid = i.indexrelid AND dsc.classoid = 'pg_class'::regclass
                            AND dsc.objsubid = 0
WHERE tc.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = tc.oid AND d.deptype = 'e'
        AND d.refclassid = 'pg_extension'::regclass
  )
ORDER BY rk.ord, ic.relname;  -- = n.nspname, tc.relname, ic.relname
