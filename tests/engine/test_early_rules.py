"""Rules that run while the catalogs are still being read give exactly the report of rules run after."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

from auditor import engine
from auditor.catalog.collect import READ_ORDER
from auditor.catalog.model import SECTIONS, InFlight, NotCollectedYet, Snapshot
from auditor.output import render

from support import demo_snapshot, fresh_copy


def test_read_order_names_every_section_once():
    assert sorted(READ_ORDER) == sorted(SECTIONS)


def test_a_section_in_flight_stops_whatever_touches_it():
    snap = Snapshot(server=None, tool_version="t")  # type: ignore[arg-type]
    snap.indexes = InFlight("indexes")  # type: ignore[assignment]
    for use in (
        lambda: list(snap.indexes),
        lambda: len(snap.indexes),
        lambda: bool(snap.indexes),
        lambda: snap.indexes[0],
        lambda: 1 in snap.indexes,
        lambda: snap.indexes == [],
        lambda: snap.indexes + [],  # noqa: RUF005 - the concatenation itself is what is tested
        lambda: snap.available("indexes"),
        lambda: snap.indexes_of,
    ):
        try:
            use()
        except NotCollectedYet as exc:
            assert exc.section == "indexes"
        else:
            raise AssertionError("a section in flight was read")
    assert not snap.arrived("indexes") and snap.arrived("tables") and snap.in_flight() == ["indexes"]


def test_rules_run_at_every_point_of_the_read_give_the_same_report(pg_server):
    """Replay the read section by section: before each arrival, run every rule that can run (as the
    audit does while the server works); the report must equal the one from the complete snapshot."""
    whole = demo_snapshot(pg_server, "pga_early")
    expected = render.render(engine.run(fresh_copy(whole)), "json")

    assert any(s.last_value for s in whole.sequences), "no sequence has a value: the values' wait tests nothing"
    replay = fresh_copy(whole)
    for name in READ_ORDER:
        setattr(replay, name, InFlight(name))
    rules = engine.Run()
    ran_before_last = 0
    for name in READ_ORDER:
        while rules.step(replay):
            pass
        ran_before_last = len(rules.results)
        if name == "sequences":  # as the collector stores it: the list, its last values still being read
            replay.sequences = [replace(s, last_value=None) for s in whole.sequences]
            replay.sequence_values = InFlight("sequence_values")
        else:
            setattr(replay, name, getattr(whole, name))
    while rules.step(replay):
        pass
    for s, read in zip(replay.sequences, whole.sequences, strict=True):
        s.last_value = read.last_value
    del replay.sequence_values
    got = render.render(rules.finish(replay), "json")

    assert got == expected
    assert 0 < ran_before_last < len(rules.rules)  # some rules ran early, some had to wait
    assert rules.waiting, "no rule ever reached a section in flight: the replay tested nothing"
    assert "sequence_values" in rules.waiting.values(), "no rule waited for the sequences' last values"


def test_whatever_reads_a_last_value_waits_for_the_values():
    """A function that reads Sequence.last_value gets its sequences from Snapshot.last_values(), which stops
    it while the values are read: snap.sequences has the list then, with every last_value still None."""
    root = Path(engine.__file__).resolve().parent.parent
    readers = []
    for path in sorted((root / "rules").rglob("*.py")) + sorted((root / "analysis").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            inner = list(ast.walk(node))
            if not any(isinstance(n, ast.Attribute) and n.attr == "last_value" for n in inner):
                continue
            readers.append(f"{path.name}:{node.name}")
            waits = any(isinstance(n, ast.Attribute) and n.attr == "last_values" for n in inner)
            assert waits, f"{path.relative_to(root)}:{node.lineno} {node.name} reads last_value without last_values()"
    assert len(readers) >= 4, readers  # CON011, CON019, CON003's share, PAR's position: the guard sees them
