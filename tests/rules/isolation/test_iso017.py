"""ISO017 definer-view-bypasses-rls."""

from __future__ import annotations

from support import objects


def test_iso017_definer_view(rls, run):
    # v_tasks: owner owns the non-FORCE tasks; v_projects: projects is FORCEd; v_tasks_invoker: invoker rights.
    assert objects(run(rls, "ISO017")) == {"app.v_tasks"}
