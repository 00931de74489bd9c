"""ISO020 security-definer-function."""

from __future__ import annotations


def test_iso020_security_definer(rls, run):
    found = {f.obj.name: f for f in run(rls, "ISO020")}
    assert set(found) == {"all_tasks()", "pinned()"}  # the plain trigger function runs as the invoker
    assert found["all_tasks()"].severity == "high" and "no pinned search_path" in found["all_tasks()"].message
    assert found["pinned()"].severity == "low"
