"""Frozen reports for renderer tests: the committed fixture, and big ones built from it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from auditor.engine.report import Report, fingerprint, report_from_dict
from auditor.rules.registry import Obj

FIXTURES = Path(__file__).parent / "fixtures"
FROZEN = FIXTURES / "report-frozen.json"
NASTY_TABLE = "<img src=x onerror=alert(1)>"


def frozen() -> Report:
    """A hand-built report of a multi-tenant billing database: every area, every status, a baseline
    comparison, a suppressed finding and hostile names (HTML, pipes, backticks, a bidi override)."""
    return report_from_dict(json.loads(FROZEN.read_text(encoding="utf-8")))


def big(n: int) -> Report:
    """The frozen report with n findings (distinct objects), for size and speed tests."""
    report = frozen()
    base = report.findings
    out = []
    for i in range(n):
        f = base[i % len(base)]
        obj = Obj(f.obj.kind, f.obj.schema, f"{f.obj.table or 't'}_{i}", f.obj.name)
        out.append(dataclasses.replace(f, obj=obj, fingerprint=fingerprint(f.code, obj)))
    report.findings = out
    return report
