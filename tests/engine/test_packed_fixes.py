"""Long fixes held deflated while the rules run come out of the run as they went in."""

from __future__ import annotations

import json
import zlib

from auditor import engine
from auditor.base.packed import (
    PackedFix,
    PackedObjects,
    deflate,
    deflate_lines,
    inflate,
    pack_objects,
    unpack_objects,
)
from auditor.catalog.db import Target, connect
from auditor.catalog.model import SharedList
from auditor.demo.run import DEMO_DIR
from auditor.engine import inflate_long_fixes
from auditor.engine.config import Config
from auditor.engine.report import Finding
from auditor.output import render
from auditor.rules.registry import Obj
from auditor.runs import single

from scratch import scratch_database
from support import demo_snapshot, fresh_copy


def test_every_fix_packed_then_inflated_gives_the_same_report(pg_server, monkeypatch):
    snap = demo_snapshot(pg_server, "pga_packed")
    monkeypatch.setattr(engine, "PACK_FIX_AT", 10**12)
    whole = engine.run(fresh_copy(snap))
    packed: list[PackedFix] = []
    pack = engine.pack_long_fixes

    def recording(findings):
        pack(findings)
        packed.extend(f.fix for f in findings if type(f.fix) is PackedFix)

    monkeypatch.setattr(engine, "PACK_FIX_AT", 1)
    monkeypatch.setattr(engine, "pack_long_fixes", recording)
    report = engine.run(fresh_copy(snap))

    assert len(packed) == sum(1 for f in whole.findings if f.fix), "not every fix went through packing"
    assert all(f.fix is None or type(f.fix) is str for f in report.findings)
    assert render.render(report, "json") == render.render(whole, "json")


def test_deflate_a_piece_at_a_time_is_deflate_whole():
    for text in ("", "x", "SELECT 1;\n" * 50_000, "é\U0001f600ß" * 40_000):
        assert zlib.decompress(deflate(text, piece=1000)) == text.encode("utf-8")
    lines = ["a", "", "SELECT 1;\nSELECT 2;", "é" * 3000]
    assert zlib.decompress(deflate_lines(iter(lines), piece=7)) == "\n".join(lines).encode("utf-8")
    assert inflate(deflate_lines(lines)) == "\n".join(lines) and inflate("x") == "x" and inflate(None) is None


def test_an_audit_inflates_every_fix_once_it_lets_the_snapshot_go(pg_server, monkeypatch, tmp_path):
    """runs.single keeps long fixes deflated past the rules and inflates them before the writers read them."""
    monkeypatch.setattr(engine, "PACK_FIX_AT", 1)
    inflated: list[int] = []
    monkeypatch.setattr(
        single, "inflate_long_fixes", lambda findings: inflated.append(1) or inflate_long_fixes(findings)
    )
    ddl = (DEMO_DIR / "saas.sql").read_text(encoding="utf-8")
    with scratch_database(pg_server, "pga_packed_run", ddl) as dsn:
        job = single.Job(config=Config(), connect=lambda: connect(Target(conninfo=dsn)), formats=["json", "sql"])
        job.out_dir = tmp_path
        outcome = single.run(job)
    assert inflated == [1]
    assert outcome.report.findings and all(f.fix is None or type(f.fix) is str for f in outcome.report.findings)
    doc = json.loads((tmp_path / "pg-auditor-report.json").read_text(encoding="utf-8"))
    assert [f["fix"] for f in doc["findings"]] == [f.fix for f in outcome.report.findings]


def test_findings_held_packed_by_a_run_come_out_the_same(pg_server, monkeypatch):
    """A Run holds each rule's findings pickled and deflated until the rules are done (base.packed)."""
    snap = demo_snapshot(pg_server, "pga_packed_findings")
    monkeypatch.setattr(engine, "pack_objects", lambda items: items)
    plain = engine.run(fresh_copy(snap))
    monkeypatch.undo()
    held: list[PackedObjects] = []
    rules = engine.Run(Config())
    original = engine.held

    def recording(result):
        status, findings = original(result)
        if type(findings) is PackedObjects:
            held.append(findings)
        return status, findings

    monkeypatch.setattr(engine, "held", recording)
    report = rules.finish(fresh_copy(snap))
    assert len(held) == len({f.code for f in report.findings}) > 10  # every rule with findings, packed
    assert all(type(f) is Finding for f in report.findings)
    assert render.render(report, "json") == render.render(plain, "json")


def test_packed_objects_round_trip_shared_lists():
    """Evidence holds the snapshot's read-only lists: they pickle and come back equal."""
    shared = SharedList(["tenant_id", "id"])
    back = unpack_objects(pack_objects([{"columns": shared}, shared]))
    assert back == [{"columns": ["tenant_id", "id"]}, ["tenant_id", "id"]]
    assert type(back[1]) is SharedList and back[0]["columns"] is back[1]
    assert unpack_objects([1, 2]) == [1, 2]


def test_findings_pickle_cannot_write_are_held_as_they_are():
    status = engine.RuleStatus("X001", "x", "indexes", "low", "x", "findings")
    odd = [
        Finding("X001", "x", "indexes", "low", "x", Obj("table", "s", "t"), "m", {"gen": (i for i in ())}, None, "f")
    ]
    assert engine.held((status, odd)) == (status, odd)
    plain = [Finding("X001", "x", "indexes", "low", "x", Obj("table", "s", "t"), "m", {"n": 1}, None, "f")]
    packed = engine.held((status, plain))[1]
    assert type(packed) is PackedObjects and unpack_objects(packed) == plain


def test_roll_ups_deflating_their_members_fixes_give_the_same_report(pg_server, monkeypatch):
    """The schema roll-ups (CON007, CON008, CON015) deflate their members' fixes as they join them: with every
    finding rolled up, the report is the one plain text gives."""
    from auditor.rules.constraints import _shared as constraints_shared

    snap = demo_snapshot(pg_server, "pga_packed_members")
    config = Config()
    config.thresholds.update({"rollup_tables": 1})
    report = engine.run(fresh_copy(snap), config)
    rolled_up = {f.code for f in report.findings if f.obj.kind == "schema" and f.fix}
    assert {"CON007", "CON008", "CON015"} <= rolled_up, rolled_up
    con015 = next(f for f in report.findings if f.code == "CON015" and f.obj.kind == "schema")
    head, first = con015.fix.split("\n", 2)[:2]  # the head on a line of its own, the first member's fix after it
    assert head == "-- some of these are intended: run only the blocks for indexes whose NULL rows must be unique too"
    assert first and not first.startswith("-- some of these")

    monkeypatch.setattr(constraints_shared, "deflate_lines", lambda texts: "\n".join(texts))
    plain = engine.run(fresh_copy(snap), config)
    assert render.render(report, "json") == render.render(plain, "json")
