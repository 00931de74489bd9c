"""ISO019: RLS is not inherited, so a partition read directly needs its own."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import RLS, _exposure_hits, bounded
from auditor.rules.registry import Hit, rule


@rule("ISO019", "partition-without-rls", severity="high", subject="table", requires=RLS)
def partition_without_rls(snap: Snapshot) -> Iterator[Hit]:
    """Partition of a row-level secured parent that has no RLS of its own.

    ## Why it matters
    A parent's policies apply to queries through the parent only. A partition read directly uses its
    own setting, and RLS is not inherited by partitions.

    ## What it checks
    Every partition, at any depth, of a partitioned table holding tenant data whose row-level security
    is on, when the partition's own row-level security is off. Skipped on a schema-per-tenant layout and
    when no tenant column is found. More than `isolation-group-over` such partitions become one finding.

    ## Bad
    ```sql
    CREATE TABLE events (id bigint, org_id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    CREATE POLICY tenant_isolation ON events
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE events ENABLE ROW LEVEL SECURITY;
    ALTER TABLE events FORCE ROW LEVEL SECURITY;
    ```

    ## Good
    ```sql
    CREATE TABLE events (id bigint, org_id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    CREATE POLICY tenant_isolation ON events
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    CREATE POLICY tenant_isolation ON events_2025
        USING (org_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
    ALTER TABLE events ENABLE ROW LEVEL SECURITY;
    ALTER TABLE events FORCE ROW LEVEL SECURITY;
    ALTER TABLE events_2025 ENABLE ROW LEVEL SECURITY;
    ALTER TABLE events_2025 FORCE ROW LEVEL SECURITY;
    ```

    ## Fix
    ```sql
    ALTER TABLE events_2025 ENABLE ROW LEVEL SECURITY;
    ALTER TABLE events_2025 FORCE ROW LEVEL SECURITY;
    ```
    and the parent's policies, or revoke direct access to partitions.

    ## False positives
    Partitions no application role can read directly (grants on a parent do not reach its partitions,
    but `GRANT ... ON ALL TABLES IN SCHEMA` does): the rule does not look at grants. Tag the partition,
    `COMMENT ON TABLE events_2025 IS 'pg-auditor: ignore ISO019 -- no direct grants'`, or revoke and
    keep the finding as a reminder. A grouped finding (on a schema or the database) is not covered by
    comments on single partitions.
    """
    hits = list(_exposure_hits(snap, ("partition",)))
    yield from bounded(snap, hits, "partitions of row-level secured tables without RLS")
