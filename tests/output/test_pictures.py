"""The partition timeline: read from a real catalog (a set with a gap, one without partitions for today), placed
on one axis and drawn as inline SVG in the HTML report."""

from __future__ import annotations

import re

from auditor import engine
from auditor.output.pictures import partition_timeline, tenant_graph
from auditor.output.render import render

from support import snapshot_after

SETS = """
CREATE SCHEMA t;
CREATE TABLE t.gappy (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.gappy_2024_01 PARTITION OF t.gappy FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE t.gappy_2024_03 PARTITION OF t.gappy FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
CREATE TABLE t.ahead (at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE t.ahead_now PARTITION OF t.ahead FOR VALUES FROM (date_trunc('month', now()))
    TO (date_trunc('month', now()) + interval '3 months');
CREATE TABLE t.codes (code text NOT NULL) PARTITION BY LIST (code);
CREATE TABLE t.codes_a PARTITION OF t.codes FOR VALUES IN ('a');
"""


def test_timeline_from_the_catalog(conn) -> None:
    report = engine.run(snapshot_after(conn, SETS))
    sets = {s["set"]: s for s in report.extras["partitions"]["sets"]}
    assert sets["t.gappy"]["gaps"] == [["2024-02-01", "2024-03-01"]] and sets["t.gappy"]["covered_from"] == "2024-01-01"
    tl = partition_timeline(report)
    assert tl is not None
    rows = {r["set"]: r for r in tl["rows"]}
    assert set(rows) == {"t.gappy", "t.ahead"}  # a list set has no time range to draw
    gappy, ahead = rows["t.gappy"], rows["t.ahead"]
    assert gappy["state"] == "poor" and ahead["state"] in ("good", "fair")
    (gap,) = gappy["gaps"]
    assert gappy["x0"] < gap["x0"] < gap["x1"] < gappy["x1"] < tl["today"]["x"]
    assert ahead["x0"] <= tl["today"]["x"] < ahead["x1"]
    html = render(report, "html")
    svg = re.search(r'<svg[^>]*class="timeline".*?</svg>', html, re.S)
    assert svg is not None and svg.group(0).count('class="tl-gap"') == 1
    assert "gap: no partition from 2024-02-01 to 2024-03-01" in svg.group(0)


TENANTS = """
CREATE SCHEMA app;
CREATE TABLE app.organizations (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE app.projects (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.organizations, name text);
CREATE TABLE app.invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.organizations, total numeric);
CREATE TABLE app.users (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES app.organizations, email text);
CREATE TABLE app.tasks (id bigint PRIMARY KEY, project_id bigint NOT NULL REFERENCES app.projects, title text);
ALTER TABLE app.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.projects FORCE ROW LEVEL SECURITY;
ALTER TABLE app.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON app.projects USING (org_id = current_setting('app.org_id')::bigint);
CREATE POLICY tenant ON app.invoices USING (org_id = current_setting('app.org_id')::bigint);
"""


def test_tenant_graph_from_the_catalog(conn) -> None:
    report = engine.run(snapshot_after(conn, TENANTS))
    g = tenant_graph(report)
    assert g is not None
    boxes = {b["name"]: b for b in g["boxes"]}
    assert boxes["app.organizations"]["x"] < boxes["app.projects"]["x"] < boxes["app.tasks"]["x"]
    assert {n: boxes[n]["rls"] for n in ("app.projects", "app.invoices", "app.users")} == {
        "app.projects": "forced",
        "app.invoices": "on",
        "app.users": "off",
    }
    # tasks reaches the root through projects: its edge starts at the projects box
    projects, tasks = boxes["app.projects"], boxes["app.tasks"]
    assert any(e["x1"] == projects["x"] + g["box_w"] and e["y2"] == tasks["y"] + g["box_h"] / 2 for e in g["edges"])
    html = render(report, "html")
    svg = re.search(r'<svg[^>]*class="tenant-graph".*?</svg>', html, re.S)
    assert svg is not None and svg.group(0).count('class="tg-off"') == 3  # organizations, users and tasks
