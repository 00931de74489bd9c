"""Derived data only some rules read is let go once the last of them has run (engine.RULE_DATA).

That is safe only if every such value is a pure function of the snapshot, built again the same when a later
reader asks for it. The test below makes the strongest case: it drops every derived value (all but the names
fix scripts gave out, which must last the run) after every rule, and the report must not change.
"""

from __future__ import annotations

import re
from dataclasses import fields
from functools import cached_property
from pathlib import Path

import psycopg
import pytest

from auditor import engine
from auditor.base.resources import queries_dir
from auditor.catalog.collect import collect
from auditor.catalog.db import Target, connect
from auditor.catalog.model import Snapshot
from auditor.engine.config import Config
from auditor.output import render

from scratch import scratch_database
from support import demo_snapshot, fresh_copy

AUDITOR = queries_dir().parent / "auditor"
HOSTILE = Path(__file__).resolve().parent.parent / "system" / "hostile_schema.sql"


def hostile_snapshot(pg_server: object) -> Snapshot:
    """tests/system/hostile_schema.sql: names that collide with the names fixes give out, quoted and cut."""
    with scratch_database(pg_server, "pga_area_data_hostile") as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(HOSTILE.read_text(encoding="utf-8"))  # type: ignore[arg-type]
            conn.execute("ANALYZE")
        session = connect(Target(conninfo=dsn))
        try:
            return collect(session)
        finally:
            session.conn.close()


def test_rule_data_names_what_the_code_builds():
    """A name here that nothing builds any more would let nothing go, silently; a code no rule has, likewise."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in AUDITOR.rglob("*.py"))
    codes = {r.code for r in engine.Run(Config()).rules}
    for name, readers in engine.RULE_DATA.items():
        built = isinstance(Snapshot.__dict__.get(name), cached_property) or re.search(rf'once\(\s*"{name}"', source)
        assert built, f"{name}: neither a Snapshot lookup nor a once() key"
        assert readers <= codes, f"{name}: no rules {sorted(readers - codes)}"


@pytest.mark.parametrize("schema", ["demo", "hostile"])
def test_rules_give_the_same_report_with_all_derived_data_dropped_after_each_rule(pg_server, monkeypatch, schema):
    snap = demo_snapshot(pg_server, "pga_area_data") if schema == "demo" else hostile_snapshot(pg_server)
    kept = engine.run(fresh_copy(snap))
    dropped: set[str] = set()
    read_by: dict[str, set[str]] = {}  # RULE_DATA name -> the rules that built it again

    def drop_all(self, snap):
        if self.results:  # the rule that just ran, and the rule data it read (everything was dropped before it)
            code = next(reversed(self.results))
            for name in engine.RULE_DATA:
                if name in snap.__dict__ or name in snap.__dict__.get("_once", {}):
                    read_by.setdefault(name, set()).add(code)
        fixed = {f.name for f in fields(Snapshot)} | {"settings"}
        for name in [n for n in snap.__dict__ if n not in fixed and n != "_once"]:
            dropped.add(name)
            snap.let_go(name)
        once = snap.__dict__.get("_once", {})
        for key in [k for k in once if not (isinstance(k, tuple) and k[0] == "fixnames")]:
            dropped.add(repr(key))
            del once[key]

    monkeypatch.setattr(engine.Run, "_let_go_rule_data", drop_all)
    report = engine.run(fresh_copy(snap))
    assert {"_tenancy", "table_by_oid", "'user_indexes'"} <= dropped
    assert render.render(report, "json") == render.render(kept, "json")
    assert read_by, "no rule data was read"
    for name, codes in read_by.items():
        assert codes <= engine.RULE_DATA[name], f"{name} is read by {sorted(codes - engine.RULE_DATA[name])} too"


def test_rule_data_goes_once_its_readers_are_done(pg_server, monkeypatch):
    snap = fresh_copy(demo_snapshot(pg_server, "pga_area_data_done"))
    run = engine.Run(Config())
    let_go: list[tuple[str, frozenset[str]]] = []
    original = Snapshot.let_go

    def recording(self, name):
        let_go.append((name, frozenset(r.code for r in run.rules if r.code not in run.results)))
        original(self, name)

    monkeypatch.setattr(Snapshot, "let_go", recording)
    run.finish(snap)
    assert {name for name, _ in let_go} == set(engine.RULE_DATA)
    assert all(engine.RULE_DATA[name].isdisjoint(left) for name, left in let_go), "let go while a reader was left"


def test_index_data_goes_before_the_workload_rules_run(pg_server, monkeypatch):
    """IDX013 and IDX014 wait for the workload, read after every catalog: the index data they never read
    must not wait for them (it did when data was let go by area: 40 MB on 50,000 tables through the
    isolation rules)."""
    snap = fresh_copy(demo_snapshot(pg_server, "pga_area_data_late"))
    run = engine.Run(Config())
    order = [r.code for r in run.rules if r.code not in {"IDX013", "IDX014"}] + ["IDX013", "IDX014"]
    run.rules.sort(key=lambda r: order.index(r.code))  # as a streamed audit runs them
    gone_before: dict[str, str] = {}
    original = Snapshot.let_go

    def recording(self, name):
        if name not in gone_before:
            gone_before[name] = next((r.code for r in run.rules if r.code not in run.results), "the end")
        original(self, name)

    monkeypatch.setattr(Snapshot, "let_go", recording)
    run.finish(snap)
    for name in ("user_indexes", "index_by_oid", "index_stats_of", "foreign_keys_by_index"):
        assert gone_before[name] == "ISO001", f"{name} went before {gone_before[name]}, not right after IDX012"
