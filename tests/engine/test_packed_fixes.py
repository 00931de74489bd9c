"""Long fixes held deflated while the rules run come out of the run as they went in."""

from __future__ import annotations

import zlib
from dataclasses import fields

from auditor import engine
from auditor.base.packed import PackedFix, deflate, deflate_lines, inflate
from auditor.catalog.collect import collect
from auditor.catalog.db import Target, connect
from auditor.catalog.model import Snapshot
from auditor.demo.run import DEMO_DIR
from auditor.output import render

from scratch import scratch_database


def test_every_fix_packed_then_inflated_gives_the_same_report(pg_server, monkeypatch):
    with scratch_database(pg_server, "pga_packed", (DEMO_DIR / "saas.sql").read_text(encoding="utf-8")) as dsn:
        session = connect(Target(conninfo=dsn))
        try:
            snap = collect(session)
        finally:
            session.conn.close()
    monkeypatch.setattr(engine, "PACK_FIX_AT", 10**12)
    whole = engine.run(copy(snap))
    packed: list[PackedFix] = []
    pack = engine.pack_long_fixes

    def recording(result):
        out = pack(result)
        packed.extend(f.fix for f in out[1] if type(f.fix) is PackedFix)
        return out

    monkeypatch.setattr(engine, "PACK_FIX_AT", 1)
    monkeypatch.setattr(engine, "pack_long_fixes", recording)
    report = engine.run(copy(snap))

    assert len(packed) == sum(1 for f in whole.findings if f.fix), "not every fix went through packing"
    assert all(f.fix is None or type(f.fix) is str for f in report.findings)
    assert render.render(report, "json") == render.render(whole, "json")


def copy(snap: Snapshot) -> Snapshot:
    return Snapshot(**{f.name: getattr(snap, f.name) for f in fields(Snapshot)})


def test_deflate_a_piece_at_a_time_is_deflate_whole():
    for text in ("", "x", "SELECT 1;\n" * 50_000, "é\U0001f600ß" * 40_000):
        assert zlib.decompress(deflate(text, piece=1000)) == text.encode("utf-8")
    lines = ["a", "", "SELECT 1;\nSELECT 2;", "é" * 3000]
    assert zlib.decompress(deflate_lines(iter(lines), piece=7)) == "\n".join(lines).encode("utf-8")
    assert inflate(deflate_lines(lines)) == "\n".join(lines) and inflate("x") == "x" and inflate(None) is None
