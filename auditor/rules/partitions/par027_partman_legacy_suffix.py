"""PAR027: a quarterly or ISO-weekly pg_partman suffix, which 5.x rejects."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partman import LEGACY_SUFFIXES, config_table, config_where, partman_major
from auditor.catalog.model import Snapshot
from auditor.rules.partitions._shared import configured_sets, set_obj
from auditor.rules.registry import Hit, rule


@rule(
    "PAR027",
    "partman-legacy-suffix",
    severity="high",
    subject="partitioned table",
    requires=("extensions", "partman_config"),
    population="partman_sets",
)
def partman_legacy_suffix(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman set with a quarterly or ISO-weekly child suffix, which 5.x maintenance rejects.

    ## Why it matters
    pg_partman 5.x names children `YYYYMMDD` and raises "no longer supported" for 4.x quarterly
    (`YYYY"q"Q`) and ISO-weekly (`IYYY"w"IW`) sets. On 5.x their maintenance fails, and with the
    procedure every set after them is skipped; on 4.x they block a clean upgrade.

    ## What it checks
    Top-level pg_partman sets whose `datetime_string` is one of the 4.x quarterly or ISO-weekly suffixes.
    Critical on 5.x (maintenance fails now), medium on 4.x (it will after the upgrade).

    ## Bad
    ```sql
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE reports (org_id bigint NOT NULL, at timestamptz NOT NULL, body jsonb) PARTITION BY RANGE (at);
    SELECT partman.create_parent('public.reports', 'at', 'native', 'quarterly');  -- suffix YYYY"q"Q
    ```

    ## Good
    ```sql
    CREATE SCHEMA partman;
    CREATE EXTENSION pg_partman SCHEMA partman;
    CREATE TABLE reports (org_id bigint NOT NULL, at timestamptz NOT NULL, body jsonb) PARTITION BY RANGE (at);
    SELECT partman.create_parent('public.reports', 'at', 'native', 'monthly');  -- suffix YYYY_MM
    ```

    ## Fix
    Rename the children to the `YYYYMMDD` suffix and update `datetime_string` (pg_partman's 5.0 upgrade
    notes describe it), or recreate the set:
    ```sql
    -- rename each child to <parent>_pYYYYMMDD (its start date), then:
    UPDATE partman.part_config SET datetime_string = 'YYYYMMDD' WHERE parent_table = 'public.reports';
    ```

    ## False positives
    None on 5.x. On 4.x with no upgrade planned the set works; accept it on the table until the upgrade is
    planned: `COMMENT ON TABLE reports IS 'pg-auditor: ignore PAR027 -- rename before the 5.x upgrade'`.
    """
    major = partman_major(snap) or 0
    for pset in configured_sets(snap):
        if pset.datetime_string not in LEGACY_SUFFIXES:
            continue
        on5 = major >= 5
        yield Hit(
            obj=set_obj(snap, pset),
            message=f"child suffix {pset.datetime_string} "
            + ("is rejected by this 5.x install's maintenance" if on5 else "will be rejected after an upgrade to 5.x"),
            evidence={"datetime_string": pset.datetime_string, "partman_version": major},
            fix="-- rename each child to <parent>_pYYYYMMDD (its start date), then:\n"
            f"UPDATE {config_table(snap, pset)} SET datetime_string = 'YYYYMMDD' WHERE {config_where(pset)};",
            severity="critical" if on5 else "medium",
        )
