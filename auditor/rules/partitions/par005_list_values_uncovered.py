"""PAR005: a list set without a default that lacks partitions for values the referenced table holds."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partbounds import parse_bound
from auditor.base.names import qualified
from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.partitions._shared import children, default_of, rows_of, user_parents
from auditor.rules.registry import Hit, rule


@rule(
    "PAR005",
    "list-values-uncovered",
    severity="high",
    subject="partitioned table",
    requires=("tables", "constraints"),
    population="partition_sets",
)
def list_values_uncovered(snap: Snapshot) -> Iterator[Hit]:
    """List-partitioned set without a default that covers fewer values than the table its key references.

    ## Why it matters
    A LIST set keyed on a tenant (or any referenced table) with one partition per value and no default
    rejects rows for every value without a partition: a new tenant cannot write until someone creates
    its partition. The referenced table's row estimate says how many values exist.

    ## What it checks
    List-partitioned tables with a single-column key and no default partition, whose key column is a
    foreign key to another table that has been analyzed. It compares the number of values the partitions
    list (NULL left out) with the referenced table's estimated rows, and fires when the table holds more
    rows than there are values with a partition. Sets whose key references nothing are not judged: the
    rule cannot know which values exist.

    ## Bad
    ```sql
    -- One partition per organisation, three created, fifty organisations signed up.
    CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);
    INSERT INTO orgs SELECT g, 'org ' || g FROM generate_series(1, 50) g;
    ANALYZE orgs;
    CREATE TABLE ticket_search (
        org_id    bigint NOT NULL REFERENCES orgs,
        ticket_id bigint NOT NULL,
        document  tsvector
    ) PARTITION BY LIST (org_id);
    CREATE TABLE ticket_search_1 PARTITION OF ticket_search FOR VALUES IN (1);
    CREATE TABLE ticket_search_2 PARTITION OF ticket_search FOR VALUES IN (2);
    CREATE TABLE ticket_search_3 PARTITION OF ticket_search FOR VALUES IN (3);
    ```

    ## Good
    ```sql
    -- The same, with a default partition for every organisation without a partition of its own.
    CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);
    INSERT INTO orgs SELECT g, 'org ' || g FROM generate_series(1, 50) g;
    ANALYZE orgs;
    CREATE TABLE ticket_search (
        org_id    bigint NOT NULL REFERENCES orgs,
        ticket_id bigint NOT NULL,
        document  tsvector
    ) PARTITION BY LIST (org_id);
    CREATE TABLE ticket_search_1 PARTITION OF ticket_search FOR VALUES IN (1);
    CREATE TABLE ticket_search_2 PARTITION OF ticket_search FOR VALUES IN (2);
    CREATE TABLE ticket_search_3 PARTITION OF ticket_search FOR VALUES IN (3);
    CREATE TABLE ticket_search_default PARTITION OF ticket_search DEFAULT;
    ```

    ## Fix
    Add a default partition (or create partitions for the missing values as part of tenant onboarding):
    ```sql
    CREATE TABLE public.ticket_search_default PARTITION OF public.ticket_search DEFAULT;
    ```

    ## False positives
    A set that must accept rows only for some tenants (the others are served elsewhere) rejects the rest on
    purpose: `COMMENT ON TABLE ticket_search IS 'pg-auditor: ignore PAR005 -- only enterprise tenants'`.
    The count is an estimate: a referenced table with many deleted or inactive rows overstates the values
    in use until it is analyzed again.
    """
    for t in user_parents(snap):
        if t.partition_strategy != "l" or default_of(snap, t) is not None or len(t.partition_key_columns) != 1:
            continue
        key = t.partition_key_columns[0]
        fk = next(
            (c for c in snap.constraints_of.get(t.oid, []) if c.type == "f" and c.columns == [key] and c.ref_table_oid),
            None,
        )
        ref = snap.table_by_oid.get(fk.ref_table_oid) if fk and fk.ref_table_oid else None
        if ref is None or ref.reltuples < 0:
            continue
        values = {v for c in children(snap, t) for v in parse_bound(c.partition_bound).values if v.upper() != "NULL"}
        existing = rows_of(snap, ref)
        if existing <= len(values):
            continue
        missing = existing - len(values)
        yield Hit(
            obj=table_obj(t),
            message=f"{len(values)} value(s) of {key} have a partition but {ref.qualified} holds ~{existing} rows "
            f"and there is no default: inserts for ~{missing} of them fail",
            evidence={
                "key": key,
                "references": ref.qualified,
                "referenced_rows_estimate": existing,
                "values_with_partition": len(values),
            },
            fix=f"CREATE TABLE {qualified(t.schema, t.name + '_default')} PARTITION OF {t.qualified} DEFAULT;",
        )
