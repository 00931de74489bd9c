"""Health (HLT) is the fifth area: scored like the others, weighed into the overall score, shown in its own
section of the Markdown and HTML reports, and selected or ignored by its prefix like any area."""

from __future__ import annotations

import re

from auditor import engine
from auditor.engine.config import Config, apply_cli, from_mapping
from auditor.engine.scoring import AREA_WEIGHT
from auditor.output.render import render

from support import snapshot_after

NEGLECTED = "CREATE TABLE jobs (id bigint PRIMARY KEY, state text) WITH (autovacuum_enabled = false);"


def test_health_is_scored_weighed_and_shown_in_its_own_section(conn):
    report = engine.run(snapshot_after(conn, NEGLECTED))
    (f,) = [f for f in report.findings if f.code == "HLT002" and f.obj.table == "jobs"]
    assert f.area == "health"
    health = report.scores["health"]
    assert health.score is not None and health.score < 100
    assert any(w["code"] == "HLT002" and w["points_lost"] > 0 for w in health.working)
    scored = [(AREA_WEIGHT[a], s.score) for a, s in report.scores.items() if s.score is not None]
    assert report.overall == round(sum(w * v for w, v in scored) / sum(w for w, _ in scored))

    md = render(report, "md")
    assert re.search(rf"^\| Health \| {health.score}\b", md, re.M)  # the scores table
    by_area = md.split("## Findings by area", 1)[1].split("\n## ", 1)[0]
    section = by_area.split(f"### Health: {health.score}/100", 1)[1]  # its own section, after partitions
    assert "### Partitions" not in section and "#### [HLT002]" in section and "`public.jobs`" in section
    scoring = md.split("## How the scores are computed", 1)[1]
    assert "health 10" in scoring and f"### Health: {health.score}/100" in scoring

    html = render(report, "html")
    assert 'data-filter-area="health"' in html and '<div class="label">Health</div>' in html
    assert '<option value="health">Health</option>' in html
    assert re.search(r'<tbody class="f" [^>]*data-area="health"[^>]*data-code="HLT002"', html)
    assert f"<summary>Health: {health.score}/100" in html and "health 10" in html


def test_hlt_is_selected_and_ignored_by_its_prefix(conn):
    snap = snapshot_after(conn, NEGLECTED)
    only = engine.run(snap, from_mapping({"select": ["HLT"], "severity": {"HLT002": "medium"}}, "f.toml"))
    assert {s.code[:3] for s in only.statuses} == {"HLT"} and set(only.scores) == {"health"}
    (f,) = [f for f in only.findings if f.code == "HLT002" and f.obj.table == "jobs"]
    assert f.severity == "medium"
    assert only.overall == only.scores["health"].score  # one area ran: the overall is that area's score

    without = engine.run(snap, from_mapping({"ignore": ["HLT002", "HLT00"]}, "f.toml"))
    assert "health" not in without.scores and not [s for s in without.statuses if s.area == "health"]

    one = engine.run(snap, from_mapping({"select": ["HLT002"], "thresholds": {"autovacuum_dead_rows_behind": 1}}, "x"))
    assert [s.code for s in one.statuses] == ["HLT002"]

    cli = Config()
    apply_cli(cli, select=["hlt"], ignore=["HLT005"])  # --select hlt --ignore HLT005, as typed
    assert cli.select == ["HLT"] and cli.selects("HLT001") and not cli.selects("HLT005") and not cli.selects("IDX001")
