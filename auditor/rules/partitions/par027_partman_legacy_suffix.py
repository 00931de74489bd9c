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

    ## Why is this bad?
    pg_partman 5.x names children `YYYYMMDD` and raises "no longer supported" for 4.x quarterly
    (`YYYY"q"Q`) and ISO-weekly (`IYYY"w"IW`) sets. On 5.x their maintenance fails, and with the
    procedure every set after them is skipped; on 4.x they block a clean upgrade.

    ## Example
    `create_parent('public.reports', 'at', 'native', 'quarterly')` on 4.x (suffix `YYYY"q"Q`), then the
    upgrade to 5.x.

    ## Fix
    Rename the children to the `YYYYMMDD` suffix and update `datetime_string` (pg_partman's 5.0 upgrade
    notes describe it), or recreate the set.
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
