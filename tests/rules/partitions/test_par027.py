"""PAR027 partman-legacy-suffix: a quarterly set, a risk on 4.x and rejected on 5.x."""

from __future__ import annotations

import dataclasses

from support import hits, objects, snapshot_after

TRIGGER_AND_QUARTERLY = (
    "CREATE TABLE public.legacy (id bigint, at timestamptz NOT NULL);"
    "SELECT partman.create_parent('public.legacy', 'at', 'partman', 'daily');"
    "CREATE TABLE public.quarters (at timestamptz NOT NULL) PARTITION BY RANGE (at);"
    "SELECT partman.create_parent('public.quarters', 'at', 'native', 'quarterly');"
)


def test_partman_quarterly(partman, partman_ddl):
    snap = snapshot_after(partman, partman_ddl + TRIGGER_AND_QUARTERLY)
    quarterly = hits(snap, "PAR027")
    assert objects(quarterly) == {"public.quarters"} and quarterly[0].severity == "medium"  # 4.x: only an upgrade risk
    on5 = snapshot_after(partman, "SELECT 1")
    on5.extensions = [
        dataclasses.replace(e, installed_version="5.1.0") if e.name == "pg_partman" else e for e in on5.extensions
    ]
    on5.__dict__.pop("extension", None)
    assert hits(on5, "PAR027")[0].severity == "critical"
