"""ISO003 rls-without-policy."""

from __future__ import annotations


def test_iso003_rls_without_policy(rls, run, tables):
    assert tables(run(rls, "ISO003")) == {"secrets"}
