"""Fix SQL that decides when it runs, not when the audit ran: DO blocks, and partitioned indexes
completed over the partitions that exist at that moment.

Why at run time: a fix script runs later than the audit, and other blocks of the same script change
the catalog before it (PAR001's fix adds partitions, then PAR008's fix indexes the set). A list of
partitions printed at audit time misses those, and the parent index stays invalid.

Why psql's `\\gexec` and not a DO block: CREATE INDEX CONCURRENTLY cannot run inside a function or a
transaction, and building every copy in one transaction (plain CREATE INDEX) would lock every partition
against writes for the whole build, on sets of any size. `SELECT format(...) ... \\gexec` runs each
statement the query produces on its own, outside any transaction, as psql does with ON_ERROR_STOP
(the first failure stops the script). Fixes already assume psql (`-f sql` writes a psql script).
"""

from __future__ import annotations

from auditor.base.names import qualified, quote_ident, quote_literal
from auditor.catalog.model import Table


def dollar_quoted(body: str, tag: str = "fix") -> str:
    """`body` between $tag$ quotes whose tag the body does not hold (a name holding `$fix$` cannot end it)."""
    n = 0
    while f"${tag}{n or ''}$" in body:
        n += 1
    mark = f"${tag}{n or ''}$"
    return f"{mark}\n{body}\n{mark}"


def do_block(body: str) -> str:
    """A DO block (one statement, one transaction) around PL/pgSQL `body`."""
    return f"DO {dollar_quoted(body)};"


# The shape of index x on table (nspname, relname): its definition after the table, "USING btree (a) WHERE ...",
# as index_shape() reads it from the snapshot. Comparing shapes finds a partition's copy whatever its name.
_SHAPE = (
    "pg_catalog.substr(d.def, pg_catalog.strpos(d.def, d.m) + pg_catalog.length(d.m) - 6)",
    "CROSS JOIN LATERAL (SELECT pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(x.indexrelid),"
    " ' ON ONLY ', ' ON ') AS def,\n"
    "                           pg_catalog.format(' ON %I.%I USING ', {nsp}, {rel}) AS m) d",
)


def relation_oid_sql(schema: str, name: str) -> str:
    """A subquery finding a relation by its schema and name as they are (literals, never parsed as SQL
    names: a name holding a newline or a quote is matched exactly, and no ::regclass cast can misread it)."""
    return (
        "(SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = {quote_literal(schema)} AND c.relname = {quote_literal(name)})"
    )


def _tree_sql(index_oid: str) -> str:
    """The CTEs naming the parent index (parent), every partition under its table, sub-partitions too
    (tree), and the partitions' indexes shaped like the parent's that are free or already in its tree (copies)."""
    shape, lateral = _SHAPE
    return f"""WITH parent AS (
  SELECT x.indexrelid AS idx, x.indrelid AS relid, x.indisunique AS uniq, {shape} AS shape
  FROM pg_catalog.pg_index x
  JOIN pg_catalog.pg_class c ON c.oid = x.indrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  {lateral.format(nsp="n.nspname", rel="c.relname")}
  WHERE x.indexrelid = {index_oid}
), tree AS (
  SELECT t.relid, t.parentrelid, t.level, c.relkind, n.nspname, c.relname
  FROM parent
  CROSS JOIN LATERAL pg_catalog.pg_partition_tree(parent.relid) t
  JOIN pg_catalog.pg_class c ON c.oid = t.relid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE t.level > 0 AND c.relkind IN ('r', 'p')
), copies AS (
  SELECT x.indrelid AS relid, x.indexrelid AS idx, h.inhparent AS attached_to, xc.relname AS name
  FROM tree
  CROSS JOIN parent
  JOIN pg_catalog.pg_index x ON x.indrelid = tree.relid
  JOIN pg_catalog.pg_class xc ON xc.oid = x.indexrelid
  LEFT JOIN pg_catalog.pg_inherits h ON h.inhrelid = x.indexrelid
  {lateral.format(nsp="tree.nspname", rel="tree.relname")}
  WHERE x.indisunique = parent.uniq AND (x.indisvalid OR tree.relkind = 'p') AND {shape} = parent.shape
    AND (h.inhparent IS NULL OR h.inhparent = parent.idx
         OR h.inhparent IN (SELECT i.indexrelid FROM pg_catalog.pg_index i JOIN tree u ON u.relid = i.indrelid))
)"""


def complete_partitioned_index_sql(schema: str, index: str) -> str:
    """Statements that make a partitioned index valid over the partitions that exist when they run.

    Every partition (sub-partitions too, from pg_partition_tree) with no index of the same shape gets one,
    CONCURRENTLY on a leaf, ON ONLY on a sub-partitioned one (a catalog entry, no build), named by
    PostgreSQL (unique, within 63 bytes, whatever the partition's name); then each copy not yet attached
    is attached to the index of the level above, deepest first; then the parent index must be valid, or
    the script stops. A partition that already has a matching index keeps it: that one is attached.
    Of two matching indexes the first by name is attached, the one IDX002 keeps when it reports the other.
    Running it twice does nothing the second time."""
    oid = relation_oid_sql(schema, index)
    lit = quote_literal(qualified(schema, index))
    tree = _tree_sql(oid)
    create = f"""{tree}
SELECT pg_catalog.format(CASE WHEN tree.relkind = 'p' THEN 'CREATE %sINDEX ON ONLY %I.%I %s'
                              ELSE 'CREATE %sINDEX CONCURRENTLY ON %I.%I %s' END,
                         CASE WHEN parent.uniq THEN 'UNIQUE ' ELSE '' END, tree.nspname, tree.relname, parent.shape)
FROM tree CROSS JOIN parent
WHERE NOT EXISTS (SELECT FROM copies WHERE copies.relid = tree.relid)
ORDER BY tree.level, tree.nspname, tree.relname
\\gexec"""
    attach = f"""{tree}
SELECT pg_catalog.format('ALTER INDEX %s ATTACH PARTITION %s',
                         up.idx::pg_catalog.regclass, mine.idx::pg_catalog.regclass)
FROM tree
JOIN LATERAL (SELECT c.idx, c.attached_to FROM copies c WHERE c.relid = tree.relid
              ORDER BY c.attached_to IS NULL, c.name COLLATE "C" LIMIT 1) mine ON true
JOIN LATERAL (SELECT parent.idx FROM parent WHERE tree.level = 1
              UNION ALL
              (SELECT c.idx FROM copies c WHERE c.relid = tree.parentrelid
               ORDER BY c.attached_to IS NULL, c.name COLLATE "C" LIMIT 1)) up ON true
WHERE mine.attached_to IS NULL
ORDER BY tree.level DESC, tree.nspname, tree.relname
\\gexec"""
    check = do_block(
        "BEGIN\n"
        "  IF NOT coalesce((SELECT x.indisvalid FROM pg_catalog.pg_index x\n"
        f"                   WHERE x.indexrelid = {oid}), false) THEN\n"
        f"    RAISE EXCEPTION 'index % is still invalid: a partition has no copy attached', {lit};\n"
        "  END IF;\n"
        "END"
    )
    return "\n".join(
        [
            "-- build the copy each partition lacks (partitions as they are when this runs; CONCURRENTLY, so",
            "-- outside any transaction: psql's \\gexec runs each statement the query prints)",
            create,
            "-- attach every copy to the index of the level above, deepest first",
            attach,
            "-- the parent index is valid once every partition has its copy attached",
            check,
        ]
    )


def partitioned_index_sql(table: Table, name: str, shape: str, unique: bool = False) -> str:
    """A new index on a partitioned table: ON ONLY the parent (a catalog entry, no lock held for a build),
    then complete_partitioned_index_sql. `shape` is the definition after the table: "USING btree (a, b)"."""
    how = "UNIQUE " if unique else ""
    return (
        f"CREATE {how}INDEX IF NOT EXISTS {quote_ident(name)} ON ONLY {table.qualified} {shape};\n"
        + complete_partitioned_index_sql(table.schema, name)
    )
