"""Machine formats validate against their schemas; human formats escape everything from the database."""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from validate import validate_report_json, validate_sarif

from auditor.output.render import envelope, render, script_hash
from auditor.output.sarif import FINGERPRINT_KEY, MAX_RESULTS
from auditor.output.text import md_escape, strip_controls
from auditor.output.view import DOCS_URL, MD_BUDGET

from reports import NASTY_TABLE, big, frozen


def test_json_validates_against_the_published_schema() -> None:
    validate_report_json(json.loads(render(frozen(), "json")))


def test_json_schema_rejects_a_broken_report() -> None:
    doc = json.loads(render(frozen(), "json"))
    doc["findings"][0]["severity"] = "urgent"
    with pytest.raises(jsonschema.ValidationError):
        validate_report_json(doc)


def test_sarif_validates_and_follows_github_rules() -> None:
    doc = json.loads(render(frozen(), "sarif"))
    validate_sarif(doc)
    run = doc["runs"][0]
    report = frozen()
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {s.code for s in report.statuses}
    assert len(run["results"]) == len(report.findings)
    by_fp = {r["partialFingerprints"][FINGERPRINT_KEY]: r for r in run["results"]}
    suppressed = next(f for f in report.findings if f.suppressed)
    assert by_fp[suppressed.fingerprint]["suppressions"][0]["kind"] == "inSource"
    new = next(f for f in report.findings if f.state == "new")
    assert by_fp[new.fingerprint]["baselineState"] == "new"
    nasty = next(r for r in run["results"] if NASTY_TABLE in r["message"]["text"])
    assert "%3Cimg%20src%3Dx" in nasty["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert run["invocations"][0]["executionSuccessful"] is False  # PAR003 crashed in the fixture


def test_sarif_anchor_points_every_result_at_one_file() -> None:
    report = frozen()
    report.run["sarif_anchor"] = "db/schema.sql"
    doc = json.loads(render(report, "sarif"))
    validate_sarif(doc)
    results = doc["runs"][0]["results"]
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in results for loc in r["locations"]}
    assert uris == {"db/schema.sql"}


def test_junit_is_well_formed_and_fails_only_new_findings_at_the_gate() -> None:
    root = ET.fromstring(render(frozen(), "junit").encode("utf-8"))
    cases = root.findall(".//testcase")
    assert int(root.get("tests")) == len(cases)
    failures = [c for c in cases if c.find("failure") is not None]
    # new and at or above high: the two ISO001 criticals and PAR002; known highs pass with the finding in system-out
    assert sorted(c.get("classname") for c in failures) == ["ISO001", "ISO001", "PAR002"]
    assert [c.get("classname") for c in cases if c.find("error") is not None] == ["PAR003"]
    assert sorted(c.get("classname") for c in cases if c.find("skipped") is not None) == ["HLT005", "IDX004", "ISO005"]
    names = [(c.get("classname"), c.get("name")) for c in cases]
    assert len(names) == len(set(names))  # GitLab drops duplicate names


def test_sarif_links_each_rule_to_its_page_and_rates_the_security_rules() -> None:
    from auditor.rules import load_all

    from paths import ROOT

    doc = json.loads(render(frozen(), "sarif"))
    validate_sarif(doc)
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    for r in rules:
        assert r["helpUri"] == f"{DOCS_URL}{r['id']}.md"
        rating = r["properties"].get("security-severity")
        if r["id"].startswith("ISO"):  # isolation rules are security rules: code scanning ranks them by this
            assert "security" in r["properties"]["tags"] and 0 < float(rating) <= 10, r
        else:
            assert rating is None and "security" not in r["properties"]["tags"], r
    assert any(r["id"].startswith("ISO") for r in rules) and any(not r["id"].startswith("ISO") for r in rules)
    # every rule's helpUri names a page the repository has
    assert [c for c in load_all() if not (ROOT / "docs" / "rules" / f"{c}.md").is_file()] == []


REPR = re.compile(r"\['|'\]|\{'|': |: (True|False|None)$|^\w+_\w+: ", re.M)


def test_junit_says_the_evidence_in_words_never_a_python_repr() -> None:
    text = render(frozen(), "junit")
    root = ET.fromstring(text.encode("utf-8"))
    bodies = [e.text or "" for e in root.iter() if e.tag in ("failure", "system-out")]
    assert bodies and not [m.group() for b in bodies for m in REPR.finditer(b)]
    assert all(f"documentation: {DOCS_URL}" in b for b in bodies)
    joined = "\n".join(bodies)
    assert "columns: product_id" in joined and "bypassrls: yes" in joined
    assert "partitions: events_p2026_10, events_p2026_11, events_p2026_12" in joined
    assert "dead rows: 2,100,000" in joined


def test_junit_survives_characters_xml_forbids() -> None:
    report = frozen()
    report.findings[0].message = "bad \x00\x07 bytes \ufffe"
    ET.fromstring(render(report, "junit").encode("utf-8"))


def test_table_classes_that_match_nothing_are_listed_in_the_tenancy_section() -> None:
    report = frozen()
    for fmt in ("md", "html"):
        assert "table_classes entries ignored" not in render(report, fmt)
    report.extras["tenancy"]["table_classes_unmatched"] = [f"app.{NASTY_TABLE}: no such table among those audited"]
    md, html = render(report, "md"), render(report, "html")
    assert "- thresholds.table_classes entries ignored: app.\\<img src=x onerror=alert(1)>: no such table" in md
    assert "<p>thresholds.table_classes entries ignored: app.&lt;img src=x onerror=alert(1)&gt;: no such" in html
    report.extras["tenancy"]["tenant_root_unmatched"] = f"app.{NASTY_TABLE}: no such table among those audited"
    md, html = render(report, "md"), render(report, "html")
    assert "- thresholds.tenant_root ignored: app.\\<img src=x onerror=alert(1)>: no such table" in md
    assert "<p>thresholds.tenant_root ignored: app.&lt;img src=x onerror=alert(1)&gt;: no such table" in html


def test_markdown_escapes_database_text() -> None:
    md = render(frozen(), "md")
    assert "\u202e" not in md and "\\u202e" in md  # Trojan Source: the bidi override is shown, not obeyed
    prose = re.sub(r"(`{3,})sql\n.*?\n\1", "", md, flags=re.S)  # fix SQL is code, shown verbatim
    prose = re.sub(r"(`+)[^`].*?\1", "", prose)  # names are code spans, shown verbatim
    prose = re.sub(r"</?(details|summary)>", "", prose)  # our folds, the only HTML the Markdown holds
    assert not re.search(r"(?<!\\)<[a-zA-Z/]", prose)  # no other raw HTML: Jira shows it as text
    for line in md.splitlines():
        if line.startswith("| ") and "Order" in line:
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) in (6, 7), line  # pipes in names do not add columns


def test_markdown_cannot_print_raw_values() -> None:
    """Every {{ value }} passes through the escaping finalizer, so a template cannot forget |md."""
    report = frozen()
    report.database["name"] = "db | `x` <b>*y*</b>"
    md = render(report, "md")
    assert md.splitlines()[0] == "# pg-auditor report: ``db | `x` <b>*y*</b>``"  # a name: a code span
    assert r"db \| \`x\` \<b>\*y\*\</b>" in md.splitlines()[2]  # in prose: escaped


def test_md_escape_and_controls() -> None:
    assert md_escape("a|b`c_d\ne") == r"a\|b\`c_d e"  # an underscore inside a word cannot emphasise
    assert md_escape("_x_ *y*") == r"\_x\_ \*y\*"
    assert strip_controls("x\u200by\u2066z\x1b") == "x\\u200by\\u2066z\\u001b"
    assert strip_controls("tab\tand\nnewline") == "tab\tand\nnewline"


def test_html_autoescapes_and_pins_its_script() -> None:
    html = render(frozen(), "html")
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\u202e" not in html
    csp = re.search(r"script-src '([^']+)'", html).group(1)
    assert csp == script_hash(html) and csp.startswith("sha256-")
    # no network requests: the only URLs are links to the rules' documentation, followed only when clicked
    urls = re.findall(r"https?://[^\s\"'<>]+", html.replace("http://www.w3.org/2000/svg", ""))
    assert urls and all(u.startswith(DOCS_URL) for u in urls), urls
    assert all(f'href="{u}"' in html for u in urls)
    island = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in island  # |tojson escapes <, > and & inside the data island
    assert NASTY_TABLE in json.loads(island)["tables"][0] or any(NASTY_TABLE in t for t in json.loads(island)["tables"])


def test_what_changed_leads_the_human_reports() -> None:
    md = render(frozen(), "md")
    assert md.index("## What changed since") < md.index("## Scores") < md.index("## Top findings")
    for text in ("Schema change", "`public.refunds`", "`invoices_created_at_idx`", "| Overall | −4 |"):
        assert text in md
    html = render(frozen(), "html")
    assert html.index('id="changes"') < html.index('aria-label="Scores"') < html.index('id="top"')
    report = frozen()
    del report.extras["changes"]
    assert "What changed" not in render(report, "md") and 'id="changes"' not in render(report, "html")


def test_skipped_rules_lower_coverage_and_are_listed_with_reasons() -> None:
    md = render(frozen(), "md")
    assert "Coverage 14/18 rules" in md
    assert "[ISO005] SECURITY DEFINER function reads tenant tables: skipped, cannot read functions" in md
    assert "`GRANT pg_read_all_settings TO auditor;`" in md


def test_large_report_stays_usable_and_fast() -> None:
    report = big(30_000)
    timings, sizes, texts = {}, {}, {}
    for fmt in ("md", "html", "json", "sarif", "junit"):
        start = time.perf_counter()
        texts[fmt] = render(report, fmt)
        timings[fmt], sizes[fmt] = time.perf_counter() - start, len(texts[fmt].encode("utf-8"))
    assert sum(timings.values()) < 60, timings
    assert len(texts["md"]) <= MD_BUDGET, sizes  # a GitHub comment, whatever the size of the database
    assert "Shortened to fit a GitHub comment" in texts["md"]
    assert sizes["html"] < 6_000_000, sizes
    assert len(json.loads(texts["json"])["findings"]) == 30_000  # the JSON always has everything
    sarif = json.loads(texts["sarif"])
    assert len(sarif["runs"][0]["results"]) == MAX_RESULTS
    html = texts["html"]
    assert "more findings are counted but not listed" in html
    assert html.count('<tbody class="f"') <= 6000


def test_envelope_counts_only_unsuppressed() -> None:
    doc = envelope(frozen())
    assert sum(doc["counts"].values()) == sum(1 for f in doc["findings"] if not f["suppressed"])
