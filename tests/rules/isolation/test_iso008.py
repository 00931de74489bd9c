"""ISO008 update-using-wider-than-check."""

from __future__ import annotations


def test_iso008_update_using_wider(rls, run, tables):
    assert tables(run(rls, "ISO008")) == {"ledger"}
