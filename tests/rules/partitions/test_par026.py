"""PAR026 partman-trigger-based: a 4.x trigger-based set (inheritance, so PAR011 too)."""

from __future__ import annotations

from support import hits, objects, snapshot_after

TRIGGER_AND_QUARTERLY = (
    "CREATE TABLE public.legacy (id bigint, at timestamptz NOT NULL);"
    "SELECT partman.create_parent('public.legacy', 'at', 'partman', 'daily');"
    "CREATE TABLE public.quarters (at timestamptz NOT NULL) PARTITION BY RANGE (at);"
    "SELECT partman.create_parent('public.quarters', 'at', 'native', 'quarterly');"
)


def test_partman_trigger_based(partman, partman_ddl):
    snap = snapshot_after(partman, partman_ddl + TRIGGER_AND_QUARTERLY)
    assert objects(hits(snap, "PAR026")) == {"public.legacy"}
    assert objects(hits(snap, "PAR011")) == {"public.legacy"}  # inheritance, reported natively too
