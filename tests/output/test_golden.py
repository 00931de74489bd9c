"""Golden files: every format rendered from one frozen report must not change by accident.

Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/output/test_golden.py`, then read
the diff like code.
"""

from __future__ import annotations

import json
import os

import pytest

from auditor.engine.report import report_from_dict
from auditor.output.render import FORMATS, WRITERS, envelope, render

from paths import TESTS
from reports import FROZEN, frozen

GOLDEN = TESTS / "golden"


@pytest.fixture(autouse=True)
def frozen_rule_docs(monkeypatch):
    """SARIF carries each rule's docstring: freeze them so new or reworded rules do not churn the golden file."""
    import auditor.output.sarif

    docs = {"IDX001": "Foreign key with no index leading with its columns.\n\n## Why is this bad?\nA frozen docstring."}
    monkeypatch.setattr(auditor.output.sarif, "rule_docs", lambda: docs)


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(fmt: str) -> None:
    text = render(frozen(), fmt)
    path = GOLDEN / f"report.{WRITERS[fmt].extension}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{path.name} changed; if intended, regenerate with UPDATE_GOLDEN=1 and review the diff"


def test_rendering_is_deterministic() -> None:
    for fmt in FORMATS:
        assert render(frozen(), fmt) == render(frozen(), fmt)


def test_json_round_trip_is_lossless() -> None:
    """A saved JSON report re-renders exactly (`pg-auditor render`)."""
    doc = json.loads(FROZEN.read_text(encoding="utf-8"))
    assert envelope(report_from_dict(doc)) == doc
