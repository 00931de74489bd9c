"""PAR009: a unique index per partition, which enforces nothing across the set."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.names import column_list
from auditor.catalog.model import Snapshot, Table, Trigger
from auditor.rules.common import table_obj
from auditor.rules.partitions._shared import build_on_parent_sql, local_index_groups
from auditor.rules.registry import Hit, rule


@rule(
    "PAR009",
    "per-partition-unique",
    severity="medium",
    subject="partitioned table",
    requires=("tables", "indexes"),
    population="partition_sets",
)
def per_partition_unique(snap: Snapshot) -> Iterator[Hit]:
    """Unique index that exists only per partition: nothing enforces uniqueness across the set.

    ## Why it matters
    A unique index on each partition only guarantees uniqueness within that partition: the same value
    can be inserted in two partitions. PostgreSQL can enforce it across the set only when the key
    includes every partition key column (pg_partman template tables produce exactly these indexes).

    ## What it checks
    For every partitioned table, the valid unique indexes of its direct partitions that are attached to no
    parent index and whose shape the parent has no index for, grouped by shape. The evidence says whether
    the key includes the partition key: then the parent can enforce it; otherwise it cannot. A
    single-column key on a table whose BEFORE INSERT row trigger assigns the id (a function named like
    `assign_<table>_id_value`: every row takes the next value of one sequence, whatever it was given) is
    low: the ids cannot collide across partitions.

    ## Bad
    ```sql
    -- UNIQUE (id) on each monthly partition of a set partitioned by created_at.
    CREATE TABLE payments (
        id         bigint        NOT NULL,
        org_id     bigint        NOT NULL,
        amount     numeric(12,2) NOT NULL,
        created_at timestamptz   NOT NULL
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE payments_2024_01 PARTITION OF payments FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
    CREATE TABLE payments_2024_02 PARTITION OF payments FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
    CREATE UNIQUE INDEX ON payments_2024_01 (id);
    CREATE UNIQUE INDEX ON payments_2024_02 (id);
    ```

    ## Good
    ```sql
    -- The key includes the partition key, so the parent enforces it on every partition.
    CREATE TABLE payments (
        id         bigint        NOT NULL,
        org_id     bigint        NOT NULL,
        amount     numeric(12,2) NOT NULL,
        created_at timestamptz   NOT NULL,
        PRIMARY KEY (id, created_at)
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE payments_2024_01 PARTITION OF payments FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
    CREATE TABLE payments_2024_02 PARTITION OF payments FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
    ```

    ## Fix
    When the key includes the partition key, create the unique index on the parent and attach the
    partitions' copies. Otherwise the set cannot enforce it; add the partition key to the key, or keep
    the unique values in a separate, unpartitioned table:
    ```sql
    CREATE UNIQUE INDEX ON public.payments (id, created_at);
    -- or: CREATE TABLE payment_ids (id bigint PRIMARY KEY); with every insert into payments writing there too
    ```

    ## False positives
    When the application guarantees the values (ids from one sequence, never reused or moved between
    partitions) the per-partition index only speeds up lookups and the set is safe in practice; say so on
    the table: `COMMENT ON TABLE payments IS 'pg-auditor: ignore PAR009 -- ids from one sequence'`.
    """
    for t, shape, sample, have, kids in local_index_groups(snap, unique=True):
        cols = [c for c in sample.columns if c]
        covers_key = set(t.partition_key_columns) <= set(cols) and bool(t.partition_key_columns)
        if covers_key:
            fix = build_on_parent_sql(snap, t, sample, shape)
        else:
            wider = [*cols, *[k for k in t.partition_key_columns if k not in cols]]
            fix = (
                f"-- ({column_list(cols)}) lacks the partition key ({column_list(t.partition_key_columns)}):\n"
                "-- PostgreSQL cannot enforce it across partitions. Widen the key and enforce it on the parent:\n"
                f"-- CREATE UNIQUE INDEX ON {t.qualified} ({column_list(wider)});\n"
                "-- or keep the unique values in an unpartitioned table with its own UNIQUE constraint."
            )
        evidence = {
            "index": shape,
            "on_partitions": sorted(i.name for i in have.values()),
            "includes_partition_key": covers_key,
        }
        forced = id_assigning_trigger(snap, t) if len(cols) == 1 else None
        if forced is not None:
            evidence["ids_forced_by_trigger"] = f"{forced.name} ({forced.function}), BEFORE INSERT"
        yield Hit(
            obj=table_obj(t),
            message=f"unique index {shape} exists on {len(have)} of {len(kids)} partitions only: "
            "uniqueness is not enforced across the set"
            + ("; a trigger assigns the ids from one sequence, so they cannot collide" if forced else ""),
            evidence=evidence,
            fix=fix,
            members=(shape,),
            severity="low" if forced else None,
        )


ASSIGN_WORDS = {"assign", "set", "generate", "force", "next"}


def id_assigning_trigger(snap: Snapshot, t: Table) -> Trigger | None:
    """An enabled BEFORE INSERT row trigger on the parent whose function, by its name, assigns the id
    (`assign_ci_runners_id_value`): every row gets an id from one sequence whatever the INSERT said."""
    for trig in snap.triggers_of.get(t.oid, []):
        name = trig.function.rsplit(".", 1)[-1].lower()
        words = set(name.split("_"))
        if (
            trig.timing == "BEFORE"
            and "INSERT" in trig.events
            and trig.level == "ROW"
            and trig.enabled != "D"
            and "id" in words
            and words & ASSIGN_WORDS
        ):
            return trig
    return None
