"""ISO019 partition-without-rls."""

from __future__ import annotations


def test_iso019_partition_without_rls(rls, run, tables):
    assert tables(run(rls, "ISO019")) == {"events_2025"}
