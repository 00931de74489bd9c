"""The banner of a nightly run: the state of the database apart from the gate's verdict. A run that compares with
a baseline passes its gate on known criticals, and the page must still say that criticals are there."""

from __future__ import annotations

import re

from auditor.output.render import render

from reports import frozen


def nightly(all_known: bool):
    report = frozen()
    report.unavailable = {}
    report.statuses = [s for s in report.statuses if s.status != "error"]
    if all_known:
        for f in report.findings:
            f.state = "known"
    return report


def banner(html: str) -> str:
    (div,) = re.findall(r'<div class="verdict [^"]*" role="status">.*?</div>', html, re.S)
    return div


def test_known_criticals_pass_the_gate_but_never_read_as_passing() -> None:
    report = nightly(all_known=True)
    div = banner(render(report, "html"))
    assert 'class="verdict warn"' in div and "Gate passes" in div
    assert "The database has 2 critical and 4 high findings" in div and "None is new since" in div
    md = render(report, "md")
    assert "The gate passes: no new findings at high or above." in md


def test_new_criticals_fail_the_gate() -> None:
    div = banner(render(nightly(all_known=False), "html"))
    assert 'class="verdict fail"' in div and "Gate fails" in div and "The gate fails: 3 new findings" in div


def test_a_clean_database_passes() -> None:
    report = nightly(all_known=True)
    report.findings = [f for f in report.findings if f.severity not in ("critical", "high")]
    div = banner(render(report, "html"))
    assert 'class="verdict pass"' in div and "No critical or high finding" in div
