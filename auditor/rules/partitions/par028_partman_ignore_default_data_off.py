"""PAR028: pg_partman's ignore_default_data off: rows in the default steer maintenance."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partman import config_table, config_where, parent_of
from auditor.catalog.model import Snapshot
from auditor.rules.partitions._shared import configured_sets, set_obj
from auditor.rules.registry import Hit, rule


@rule(
    "PAR028",
    "partman-ignore-default-data-off",
    severity="low",
    subject="partitioned table",
    requires=("extensions", "partman_config"),
    population="partman_sets",
)
def partman_ignore_default_data_off(snap: Snapshot) -> Iterator[Hit]:
    """pg_partman set with ignore_default_data off.

    ## Why is this bad?
    With it off, maintenance takes the newest value in the default partition into account: one stray
    far-future row makes it create every partition up to that date, or fail with "updated partition
    constraint for default partition would be violated". 4.x defaults it to off and upgraded sets keep
    it; pg_partman's documentation says not to leave it off.

    ## Example
    A set created on 4.x (default off) and carried through the upgrade to 5.x.

    ## Fix
    ```sql
    UPDATE partman.part_config SET ignore_default_data = true WHERE parent_table = 'schema.table';
    ```
    """
    for pset in configured_sets(snap):
        if pset.ignore_default_data is not False or parent_of(snap, pset) is None:
            continue
        yield Hit(
            obj=set_obj(snap, pset),
            message="ignore_default_data is off: rows in the default steer (or break) maintenance",
            evidence={"ignore_default_data": False},
            fix=f"UPDATE {config_table(snap, pset)} SET ignore_default_data = true WHERE {config_where(pset)};",
        )
