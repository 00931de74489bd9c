"""ISO022: a dominant tenant, not a leak but a planning and sharding fact."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.isolation._shared import RLS, _tenant, bounded
from auditor.rules.registry import Hit, rule, threshold

SKEW_SHARE = threshold("tenant_skew_share", 0.5, "share of a table's rows one tenant may hold before it is reported")
SKEW_MIN_ROWS = threshold(
    "tenant_skew_min_rows", 1_000, "estimated rows under which a table's tenant skew means nothing"
)


@rule("ISO022", "tenant-data-skew", severity="info", subject="table", requires=(*RLS, "column_stats"))
def tenant_data_skew(snap: Snapshot) -> Iterator[Hit]:
    """One tenant holds most of a table's rows (from pg_stats).

    ## Why it matters
    It is not a leak: plans tuned for the typical tenant misbehave for the big one (and the other
    way round), and partitioning or sharding by tenant will be lopsided. Tenant ids are never shown.

    ## What it checks
    For each table that carries the tenant column, the share of the most common value of that column
    in the planner statistics (`pg_stats.most_common_freqs[1]`), against `tenant-skew-share` (0.5 by
    default), on tables of at least `tenant-skew-min-rows` estimated rows (1,000: on a handful of rows
    one tenant always "holds most"). Tables never analyzed have no statistics and are not judged. Skipped on a
    schema-per-tenant layout and when no tenant column is found. More than `isolation-group-over` such
    tables become one finding.

    ## Bad
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    INSERT INTO invoices SELECT i, CASE WHEN i <= 800 THEN 1 ELSE i END, 10 FROM generate_series(1, 1000) i;
    ANALYZE invoices;  -- one tenant holds 80% of the rows
    ```

    ## Good
    ```sql
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    INSERT INTO invoices SELECT i, i % 10, 10 FROM generate_series(1, 1000) i;
    ANALYZE invoices;  -- ten tenants, 10% each
    ```

    ## Fix
    Nothing to fix in the schema; consider per-tenant statistics (`CREATE STATISTICS`) or a
    dedicated partition for the large tenant.

    ## False positives
    The finding is information, not a defect: a known large customer is expected. Raise
    `tenant-skew-share`, or tag the table,
    `COMMENT ON TABLE invoices IS 'pg-auditor: ignore ISO022 -- the demo tenant holds most rows'`.
    """
    ten = _tenant(snap)
    share, min_rows = SKEW_SHARE(snap), SKEW_MIN_ROWS(snap)
    hits = []
    for info in ten.of_class("tenant"):
        if snap.estimated_rows(info.table) < min_rows:
            continue
        st = snap.column_stats_of.get((info.table.schema, info.table.name, info.column or ""))
        if st and st.top_frequency and st.top_frequency >= share:
            hits.append(
                Hit(
                    obj=table_obj(info.table),
                    message=f"one tenant holds about {st.top_frequency:.0%} of {info.table.qualified}",
                    evidence={"top_frequency": st.top_frequency, "n_distinct": st.n_distinct},
                )
            )
    yield from bounded(snap, hits, "tables dominated by one tenant")
