"""Every rule's docstring is its documentation, and its examples are executed.

Each docstring has the sections below. The SQL under `## Bad` must make the rule fire and the SQL
under `## Good` must leave it silent, each run in a rolled-back transaction of a scratch database
(findings already there before the example do not count). An example that DDL alone cannot show
(statistics over days, a server setting) says so in its heading, `## Bad (not run: <why>)`, and is
shown but not run.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from auditor.catalog.collect import collect
from auditor.catalog.db import Session
from auditor.engine import run_rule
from auditor.engine.config import Config
from auditor.output.rule_docs import SECTIONS, example, sections
from auditor.rules import load_all
from auditor.rules.registry import Rule

from scratch import scratch_database

RULES = load_all()


@pytest.mark.parametrize("code", sorted(RULES))
def test_docstring_has_every_section(code: str) -> None:
    rule = RULES[code]
    found = [h.split(" (")[0] for h in sections(rule.doc)]
    missing = [s for s in SECTIONS if s not in found]
    assert not missing, f"{code} docstring lacks ## {', ## '.join(missing)}"
    for kind in ("Bad", "Good"):
        sql, not_run = example(rule, kind)
        assert sql.strip() or not_run, f"{code}: ## {kind} has no ```sql block"


@pytest.fixture(scope="module")
def examples_db(pg_server) -> Iterator[str]:
    with scratch_database(pg_server, "pga_doc_examples") as dsn:
        yield dsn


def findings_after(dsn: str, rule: Rule, sql: str) -> set[str]:
    """The rule's findings (by display and code) after running sql in a transaction that is rolled back."""
    with psycopg.connect(dsn, autocommit=False) as conn:
        try:
            if sql:
                conn.execute(sql)
            status, found = run_rule(rule, collect(Session(conn=conn)), Config())
        finally:
            conn.rollback()
    if not sql and status.status == "skipped":  # the empty database: nothing to judge (no tenant column...)
        return set()
    assert status.status in ("ok", "findings"), f"{rule.code} did not run: {status.status} {status.reason}"
    return {f"{f.code} {f.obj.display} {f.members}" for f in found}


@pytest.mark.parametrize("code", sorted(RULES))
def test_bad_example_fires_and_good_one_does_not(code: str, examples_db: str) -> None:
    rule = RULES[code]
    bad, bad_not_run = example(rule, "Bad")
    good, good_not_run = example(rule, "Good")
    if bad_not_run and good_not_run:
        pytest.skip(f"{code}: examples shown, not run: {bad_not_run}")
    before = findings_after(examples_db, rule, "")
    if not bad_not_run:
        assert findings_after(examples_db, rule, bad) - before, f"{code} stayed silent on its ## Bad example"
    if not good_not_run:
        assert not findings_after(examples_db, rule, good) - before, f"{code} fired on its ## Good example"
