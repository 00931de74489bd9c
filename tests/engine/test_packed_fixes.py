"""Long fixes held deflated while the rules run come out of the run as they went in."""

from __future__ import annotations

import zlib

from auditor import engine
from auditor.base.packed import PackedFix, deflate, deflate_lines, inflate
from auditor.output import render

from support import demo_snapshot, fresh_copy


def test_every_fix_packed_then_inflated_gives_the_same_report(pg_server, monkeypatch):
    snap = demo_snapshot(pg_server, "pga_packed")
    monkeypatch.setattr(engine, "PACK_FIX_AT", 10**12)
    whole = engine.run(fresh_copy(snap))
    packed: list[PackedFix] = []
    pack = engine.pack_long_fixes

    def recording(result):
        out = pack(result)
        packed.extend(f.fix for f in out[1] if type(f.fix) is PackedFix)
        return out

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
