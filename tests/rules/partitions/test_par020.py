"""PAR020 partman-update-pending: an installed version behind the server's package."""

from __future__ import annotations

import dataclasses

from support import hits, snapshot_after


def test_partman_update_pending_on_a_built_snapshot(partman, partman_ddl):
    snap = snapshot_after(partman, partman_ddl)
    assert not hits(snap, "PAR020")
    snap.extensions = [
        dataclasses.replace(e, default_version="5.1.0") if e.name == "pg_partman" else e for e in snap.extensions
    ]
    snap.__dict__.pop("extension", None)
    found = hits(snap, "PAR020")
    assert found and found[0].severity == "medium" and "ALTER EXTENSION pg_partman UPDATE;" in found[0].fix
