"""Derived data one area's rules read is let go once that area's last rule has run (engine.AREA_DATA).

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


def test_area_data_names_what_the_code_builds():
    """A name here that nothing builds any more would let nothing go, silently."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in AUDITOR.rglob("*.py"))
    areas = {r.area for r in engine.Run(Config()).rules}
    for name, readers in engine.AREA_DATA.items():
        built = isinstance(Snapshot.__dict__.get(name), cached_property) or re.search(rf'once\(\s*"{name}"', source)
        assert built, f"{name}: neither a Snapshot lookup nor a once() key"
        assert readers <= areas, f"{name}: no rules in {sorted(readers - areas)}"


@pytest.mark.parametrize("schema", ["demo", "hostile"])
def test_rules_give_the_same_report_with_all_derived_data_dropped_after_each_rule(pg_server, monkeypatch, schema):
    snap = demo_snapshot(pg_server, "pga_area_data") if schema == "demo" else hostile_snapshot(pg_server)
    kept = engine.run(fresh_copy(snap))
    dropped: set[str] = set()
    read_by: dict[str, set[str]] = {}  # AREA_DATA name -> the areas of the rules that built it again

    def drop_all(self, snap):
        if self.results:  # the rule that just ran, and the area data it read (everything was dropped before it)
            area = next(r.area for r in self.rules if r.code == next(reversed(self.results)))
            for name in engine.AREA_DATA:
                if name in snap.__dict__ or name in snap.__dict__.get("_once", {}):
                    read_by.setdefault(name, set()).add(area)
        fixed = {f.name for f in fields(Snapshot)} | {"settings"}
        for name in [n for n in snap.__dict__ if n not in fixed and n != "_once"]:
            dropped.add(name)
            snap.let_go(name)
        once = snap.__dict__.get("_once", {})
        for key in [k for k in once if not (isinstance(k, tuple) and k[0] == "fixnames")]:
            dropped.add(repr(key))
            del once[key]

    monkeypatch.setattr(engine.Run, "_let_go_area_data", drop_all)
    report = engine.run(fresh_copy(snap))
    assert {"_tenancy", "table_by_oid", "'user_indexes'"} <= dropped
    assert render.render(report, "json") == render.render(kept, "json")
    assert read_by, "no area data was read"
    for name, areas in read_by.items():
        assert areas <= engine.AREA_DATA[name], f"{name} is read by {sorted(areas - engine.AREA_DATA[name])} rules too"


def test_area_data_goes_once_its_area_is_done(pg_server, monkeypatch):
    snap = fresh_copy(demo_snapshot(pg_server, "pga_area_data_done"))
    run = engine.Run(Config())
    let_go: list[tuple[str, frozenset[str]]] = []
    original = Snapshot.let_go

    def recording(self, name):
        let_go.append((name, frozenset(r.area for r in run.rules if r.code not in run.results)))
        original(self, name)

    monkeypatch.setattr(Snapshot, "let_go", recording)
    run.finish(snap)
    assert {name for name, _ in let_go} == set(engine.AREA_DATA)
    assert all(engine.AREA_DATA[name].isdisjoint(left) for name, left in let_go), "let go while its rules had some left"
