"""ISO004 policy-on-table-without-rls."""

from __future__ import annotations


def test_iso004_policy_without_rls(rls, run, tables):
    assert tables(run(rls, "ISO004")) == {"notes"}
