"""The constraints area's part of the report context: relationships no foreign key can hold."""

from __future__ import annotations

from auditor.catalog.model import Snapshot
from auditor.rules.constraints._shared import (
    judged_tables,
    polymorphic_ids,
)
from auditor.rules.registry import context


@context("constraints")
def constraints_context(snap: Snapshot) -> dict[str, object]:
    """Relationships no foreign key can hold (Rails polymorphic pairs), so a reader knows integrity is the app's job."""
    pairs = []
    for t in judged_tables(snap):
        for id_col, type_col in sorted(polymorphic_ids(snap, t).items()):
            pairs.append(f"{t.qualified}.({type_col}, {id_col})")
    return {"polymorphic_associations": pairs}
