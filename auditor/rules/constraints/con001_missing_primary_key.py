"""CON001: a table with no primary key; the fix promotes a unique index when one already is a key in all but name."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.notnull import is_not_null
from auditor.base.names import column_list, qualified, quote_ident, regclass_literal
from auditor.base.text import sql_comment
from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import new_name, table_obj
from auditor.rules.constraints._shared import (
    constraint_name,
    judged_tables,
    primary_key,
)
from auditor.rules.guarded import replace_index_sql
from auditor.rules.registry import Hit, rule


@rule(
    "CON001",
    "missing-primary-key",
    severity="high",
    subject="table",
    requires=("tables", "columns", "constraints", "indexes"),
    population="tables",
)
def missing_primary_key(snap: Snapshot) -> Iterator[Hit]:
    """Table without a primary key.

    ## Why it matters
    Without a primary key nothing stops duplicate rows, rows cannot be addressed one by one (ORMs,
    admin tools and `DELETE ... WHERE id =` all assume a key), and logical replication cannot
    replicate UPDATE or DELETE on the table unless it is set to REPLICA IDENTITY FULL, which makes
    every change ship the whole row and the subscriber scan for it.

    ## What it checks
    Every ordinary and partitioned table of the application with no PRIMARY KEY constraint (a schema
    given over to an extension, such as pg_partman's with its template tables, is left out). A
    partitioned table is judged on its parent: a primary key declared there holds on every
    partition, so partitions are not reported one by one. High, except: low when a unique index on
    NOT NULL columns (a validated `CHECK (col IS NOT NULL)` counts) could become the key, or a unique
    index on a constant keeps the table to one row; medium when the statistics count exactly one row
    (a settings table).

    When the table already has a unique index on NOT NULL columns (valid, not partial, no
    expressions), the key exists in all but name and the finding is milder (low): promote that index.
    A unique index on a nullable column, or a partial one, does not count: it does not stop duplicates.

    ## Bad
    ```sql
    CREATE TABLE audit_log (at timestamptz NOT NULL, actor text, action text);
    ```

    ## Good
    ```sql
    CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL, actor text, action text
    );
    ```

    ## Fix
    ```sql
    -- an existing unique index on NOT NULL columns:
    ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY USING INDEX audit_log_id_key;
    -- otherwise a surrogate key (rewrites the table under an ACCESS EXCLUSIVE lock):
    ALTER TABLE audit_log ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
    ```
    On a partitioned table the key must include the partition key columns. An index that backs a
    UNIQUE constraint cannot be promoted: the finding's fix then builds a twin unique index
    CONCURRENTLY and promotes that one.

    ## False positives
    An append-only table that nobody updates, deletes from or replicates row by row (a raw event
    feed, a staging table reloaded in bulk) can do without a key. Say so on the table:
    `COMMENT ON TABLE audit_log IS 'pg-auditor: ignore CON001 -- append-only, never replicated'`,
    or turn the rule off with `--ignore CON001` or `ignore = ["CON001"]` in the config.
    """
    for t in judged_tables(snap):
        if primary_key(snap, t):
            continue
        cols = {c.name: c for c in snap.columns_of.get(t.oid, [])}
        evidence: dict[str, object] = {"estimated_rows": snap.estimated_rows(t), "replica_identity": t.replica_identity}
        if t.is_partitioned:
            evidence["partition_key"] = t.partition_key
            evidence["partitions"] = len(snap.leaf_partitions(t))
        unique = sorted(
            (
                i
                for i in snap.indexes_of.get(t.oid, [])
                if i.is_unique
                and i.is_valid
                and i.predicate is None
                and not i.has_expressions
                and all(is_not_null(snap, t.oid, c) for c in i.columns if c in cols)
            ),
            key=lambda i: (i.key_count, i.name),
        )
        pkey = constraint_name(snap, t, [], "pkey")
        if unique:
            best = unique[0]
            evidence["unique_not_null_index"] = best.name
            cols_sql = column_list([c for c in best.columns if c])
            referenced = any(
                c.type == "f" and c.ref_table_oid == t.oid and set(c.ref_columns) == {x for x in best.columns if x}
                for c in snap.constraints
            )
            old_con = best.constraint_name if best.backs_constraint else None
            if best.parent_index_oid is not None:
                fix = (
                    f"-- builds a twin of {quote_ident(best.name)} (USING INDEX is not allowed here); drop "
                    f"{quote_ident(best.name)} after:\n"
                    f"ALTER TABLE {t.qualified} ADD PRIMARY KEY ({cols_sql});"
                )
            elif t.is_partitioned or best.backs_constraint:
                # USING INDEX takes neither a partitioned index nor one that backs a UNIQUE constraint: a twin
                # becomes the key, and the old index goes once the key is there and valid (checked when it runs),
                # unless a foreign key looks its rows up through it (then it stays: IDX002 names the pair).
                if t.is_partitioned:
                    create = f"ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(pkey)} PRIMARY KEY ({cols_sql});"
                else:
                    create = (
                        f"CREATE UNIQUE INDEX CONCURRENTLY {quote_ident(pkey)} ON {t.qualified} ({cols_sql});\n"
                        f"ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(pkey)} PRIMARY KEY USING INDEX "
                        f"{quote_ident(pkey)};"
                    )
                if referenced or t.replica_identity == "i":
                    fix = (
                        f"{create}\n-- a foreign key or the replica identity may use {quote_ident(best.name)}: "
                        "it stays beside the new key"
                    )
                else:
                    fix = replace_index_sql(t, create, pkey, best.name, old_constraint=old_con)
            else:
                fix = (
                    f"ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(pkey)} PRIMARY KEY USING INDEX "
                    f"{quote_ident(best.name)};"
                )
            yield Hit(
                obj=table_obj(t),
                message=f"no primary key; unique index {best.name} on NOT NULL columns already stops duplicates "
                "and could become it (logical replication and many tools want a declared key)",
                evidence=evidence,
                fix=fix,
                severity="low",
            )
            continue
        key_cols = ["id", *[c for c in t.partition_key_columns if c != "id"]]
        if "id" in cols:
            note = "-- id must hold no NULLs and no duplicates; SET NOT NULL scans the table.\n"
            if t.is_partitioned:
                fix = note + f"ALTER TABLE {t.qualified} ADD PRIMARY KEY ({column_list(key_cols)});"
            else:
                fix = (
                    note + f"CREATE UNIQUE INDEX CONCURRENTLY {quote_ident(pkey)} ON {t.qualified} (id);\n"
                    f"ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(pkey)} PRIMARY KEY USING INDEX "
                    f"{quote_ident(pkey)};"
                )
        elif t.is_partitioned:
            fix = (
                "-- a partitioned table's key must include its partition key columns "
                f"({column_list(t.partition_key_columns) or sql_comment(t.partition_key or '')});\n"
                "-- adding the column rewrites every partition under an ACCESS EXCLUSIVE lock:\n"
            )
            if snap.server.major >= 17:
                fix += f"ALTER TABLE {t.qualified} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;\n"
            else:  # identity columns on partitioned tables with partitions arrived in PostgreSQL 17
                seq_name = new_name(snap, t, [t.name, "id"], "seq")
                seq = qualified(t.schema, seq_name)
                fix += (
                    f"CREATE SEQUENCE {seq} AS bigint;\n"
                    f"ALTER TABLE {t.qualified} ADD COLUMN id bigint NOT NULL "
                    f"DEFAULT nextval({regclass_literal(t.schema, seq_name)});\n"
                    f"ALTER SEQUENCE {seq} OWNED BY {t.qualified}.id;\n"
                )
            fix += f"ALTER TABLE {t.qualified} ADD PRIMARY KEY ({column_list(key_cols)});"
        else:
            fix = (
                "-- rewrites the table under an ACCESS EXCLUSIVE lock; plan a window for a large table:\n"
                f"ALTER TABLE {t.qualified} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;"
            )
        single = single_row(snap, t)
        if single:
            evidence["single_row"] = single
        yield Hit(
            obj=table_obj(t),
            message="no primary key and no unique index on NOT NULL columns: duplicate rows cannot be prevented"
            + (f" ({single})" if single else ""),
            evidence=evidence,
            fix=fix,
            severity="low" if single and "constant" in single else ("medium" if single else None),
        )


def single_row(snap: Snapshot, t: Table) -> str | None:
    """Why the table holds one row: a unique index on a constant (the singleton pattern; duplicates are
    already impossible) or statistics that count exactly one row (a settings table: high is too much)."""
    for i in snap.indexes_of.get(t.oid, []):
        if (
            i.is_unique
            and i.is_valid
            and i.predicate is None
            and i.keys
            and all(k.strip("() ").lower() in ("true", "1", "'x'") for k in i.keys)
        ):
            return f"unique index {i.name} on a constant keeps it to one row"
    if t.kind == "r" and t.reltuples == 1:
        return "one row by the statistics: a settings table"
    return None
