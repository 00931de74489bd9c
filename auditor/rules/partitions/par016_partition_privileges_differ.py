"""PAR016: partitions granting more than their parent: a way around the parent's privileges."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.acl import table_privileges
from auditor.base.names import quote_ident
from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.partitions._shared import descendants, user_parents
from auditor.rules.registry import Hit, rule


@rule(
    "PAR016",
    "partition-privileges-differ",
    severity="medium",
    subject="partitioned table",
    requires=("tables",),
    population="partition_sets",
)
def partition_privileges_differ(snap: Snapshot) -> Iterator[Hit]:
    """Partitions granted privileges their parent does not grant.

    ## Why it matters
    Privileges are checked on the table a query names: a role granted on a partition reads or writes
    it directly, whatever the parent allows. Grants made partition by partition (by a migration, a
    maintenance script, `GRANT ... ON ALL TABLES IN SCHEMA`) drift from the parent's, and new
    partitions do not get them.

    ## What it checks
    Every partition of every top-level set (sub-partitions too), compared with its direct parent: the
    privileges a role other than the partition's owner holds on the partition and not on the parent. High
    when PUBLIC is among them, medium otherwise. A partition without RLS under a row-level secured parent is
    reported once, by the isolation analyzer (ISO019): this rule leaves those partitions to it.

    ## Bad
    ```sql
    CREATE ROLE reporting NOLOGIN;
    CREATE TABLE invoices (
        org_id    bigint        NOT NULL,
        issued_on date          NOT NULL,
        total     numeric(12,2) NOT NULL
    ) PARTITION BY RANGE (issued_on);
    CREATE TABLE invoices_2024 PARTITION OF invoices FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    GRANT SELECT, DELETE ON invoices_2024 TO reporting;  -- the parent grants reporting nothing
    ```

    ## Good
    ```sql
    CREATE ROLE reporting NOLOGIN;
    CREATE TABLE invoices (
        org_id    bigint        NOT NULL,
        issued_on date          NOT NULL,
        total     numeric(12,2) NOT NULL
    ) PARTITION BY RANGE (issued_on);
    CREATE TABLE invoices_2024 PARTITION OF invoices FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    GRANT SELECT ON invoices TO reporting;  -- access goes through the parent
    ```

    ## Fix
    Revoke the partition-level grants (access goes through the parent), and grant on the parent what
    the role needs:
    ```sql
    REVOKE ALL ON public.invoices_2024 FROM reporting;
    GRANT SELECT ON public.invoices TO reporting;
    ```

    ## False positives
    A role meant to reach one partition only (an archive reader allowed last year's invoices and nothing
    else) is a deliberate grant; document it on the set: `COMMENT ON TABLE invoices IS 'pg-auditor: ignore
    PAR016 -- auditors read the closed year directly'`.
    """
    for t in user_parents(snap, roots_only=True):
        drift = []
        lines: list[str] = []
        for p in descendants(snap, t):
            parent = snap.table_by_oid.get(p.parent_oid or 0) or t
            if parent.rls_enabled and not p.rls_enabled:
                continue  # ISO019 (partition-without-rls) reports this partition
            mine, theirs = table_privileges(p.acl, p.owner), table_privileges(parent.acl, parent.owner)
            extra = {g: sorted(v - theirs.get(g, set())) for g, v in mine.items() if g != p.owner}
            extra = {g: v for g, v in extra.items() if v and "ALL" not in theirs.get(g, set())}
            if not extra:
                continue  # the same or fewer grants: access goes through the parent
            drift.append({"partition": p.name, "extra_grants": dict(sorted(extra.items()))})
            lines += [
                f"REVOKE ALL ON {p.qualified} FROM {'PUBLIC' if g == 'PUBLIC' else quote_ident(g)};" for g in extra
            ]
        if not drift:
            continue
        names = ", ".join(d["partition"] for d in drift[:5]) + (" ..." if len(drift) > 5 else "")
        roles = sorted({g for d in drift for g in d["extra_grants"]})
        yield Hit(
            obj=table_obj(t),
            message=f"{len(drift)} partition(s) grant {', '.join(roles)} more than the parent does: {names}",
            evidence={"partitions": drift},
            fix="\n".join(lines),
            severity="high" if "PUBLIC" in roles else "medium",
        )
