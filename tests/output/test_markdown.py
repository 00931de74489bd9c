"""The Markdown ticket and the HTML page as a person reads them.

The Markdown fits a GitHub comment (65,536 characters) on the demo and on real schemas, says what it
left out and where that is, shows no JSON, no "(s)" and no "see the JSON report"; names are code spans;
a fix is whole, folded when long, and no backtick, `</details>` or HTML inside it can break either format.
"""

from __future__ import annotations

import dataclasses
import gzip
import html
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import auditor
from auditor.demo.run import load_sample
from auditor.engine.report import Report
from auditor.output import evidence, view
from auditor.output.render import markdown_levels, render, write
from auditor.output.text import md_ident, md_prose, plural, strip_controls, tidy_plurals

from paths import ROOT, TESTS
from reports import big, frozen
from scratch import scratch_database

FENCE = re.compile(r"^(`{3,})sql\n.*?\n\1$", re.S | re.M)


def prose_of(md: str) -> str:
    """The Markdown without its fenced SQL (fix comments are SQL, written by the rules, shown verbatim)."""
    return FENCE.sub("", md)


def gfm(md: str) -> str:
    """The Markdown as GitHub would render it (CommonMark with raw HTML, plus GFM tables)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(md)


def assert_reads_well(md: str, name: str) -> None:
    """What issue 23 asks of the ticket: a GitHub comment, no JSON, no (s), no pointer to the JSON report."""
    assert len(md) <= view.MD_BUDGET, (name, len(md))
    text = prose_of(md)
    assert "(s)" not in text, re.findall(r".{40}\(s\).{20}", text)
    json_like = re.compile(r'\{"[^"\n]*": |\["[^"\n]*"(, |\])|": \{')  # {"key": , ["a", "b"], ": {
    assert not json_like.search(text), [m.group() for m in json_like.finditer(text)][:3]
    assert "JSON report" not in md and "see the JSON" not in md
    assert not re.search(r"^\s*[-*]\s*$", md, re.M)  # no empty bullets
    assert not re.search(r"^(`{3,})sql\n\s*\1$", md, re.M)  # no empty fix
    for heading in re.findall(r"^#+ .*$", md, re.M):  # no backtick shown literally in a heading
        shown = re.sub(r"<code>.*?</code>", "", gfm(heading))
        assert "`" not in shown, heading
    defined = set(re.findall(r"^\[([A-Z]{3}\d{3})\]: ", md, re.M))
    used = set(re.findall(r"\[([A-Z]{3}\d{3})\](?!:)", md))
    assert used and used <= defined, used - defined  # every rule code links to its page
    for code in defined:  # docs/rules/<CODE>.md, in this repository
        url = re.search(rf"^\[{code}\]: (\S+)$", md, re.M).group(1)
        assert url == view.doc_url(code) and (ROOT / "docs" / "rules" / url.rsplit("/", 1)[1]).exists(), url


def audit_markdown(dsn: str) -> tuple[Report, str]:
    report = auditor.audit(dsn, history=False)
    return report, render(report, "md", outputs=view.Outputs("pg-auditor-report", ("md", "html", "json")))


# ---- the budget, on the demo and on real schemas ------------------------------------------------


@pytest.mark.slow
def test_demo_markdown_fits_a_github_comment(pg_server) -> None:
    with scratch_database(pg_server, "md_demo") as dsn:
        load_sample(dsn)
        report, md = audit_markdown(dsn)
    assert len(report.active) > 50
    assert_reads_well(md, "demo")
    # the high and critical findings are there in full, each with its fix
    for f in (f for f in report.active if f.rank >= view.HIGH and f.fix):
        assert evidence.whole_fix(f) in md, f.code
    assert "`pg-auditor-report.html`" in md and "`-f sql`" in md


def _load(dsn: str, folder: Path) -> None:
    path = folder / "schema.sql.gz" if (folder / "schema.sql.gz").exists() else folder / "schema.sql"
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    out = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", "-"], input=data, capture_output=True, cwd=folder
    )
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lago", "documenso"])
def test_real_schema_markdown_fits_a_github_comment(pg_server, name: str) -> None:
    with scratch_database(pg_server, name) as dsn:
        _load(dsn, TESTS / "realschemas" / name)
        report, md = audit_markdown(dsn)
    assert 50 <= len(report.active) <= 150, len(report.active)
    assert_reads_well(md, name)
    for f in (f for f in report.active if f.rank >= view.HIGH):
        assert evidence.object_md(f.obj) in md, f.code


@pytest.mark.parametrize("n", [300, 3000])
def test_a_report_too_big_for_a_comment_says_what_it_left_out_and_where(n: int) -> None:
    report = big(n)
    md = render(report, "md", outputs=view.Outputs("nightly", ("md", "html", "sql")))
    assert_reads_well(md, "big")
    note = next(line for line in md.splitlines() if line.startswith("> **Shortened to fit a GitHub comment"))
    assert "Left out here:" in note and "`nightly.html`" in note and "`nightly.sql`" in note
    assert "counted per rule instead" in note
    assert re.search(r"not listed here: \d+ low; the HTML report lists them", md)


def test_every_level_reads_well_and_shows_what_it_says() -> None:
    """Each level, rendered whatever its length: a high finding's fix is there unless the note says it
    left it out, one without a fix gets no empty block, a long one is named by its length."""
    report = with_fix(HOSTILE_FIX)
    high = [f for f in report.active if f.rank >= view.HIGH]
    report.findings[report.findings.index(high[-1])] = high[-1] = dataclasses.replace(high[-1], fix=None)
    for level, md in markdown_levels(report):
        assert_reads_well(md, str(level))
        note = "; ".join(level.left_out())
        assert (HOSTILE_FIX in md) == (level.high == "full"), level
        if level.high == "short":
            assert "Fix: 200 lines, left out here." in md and "longer than 40 lines" in note
        if level.high in ("full", "short", "nofix"):
            assert all(evidence.object_md(f.obj) in md for f in high)
        if level.low == "count":
            assert "low and info findings (counted per rule instead)" in note


def test_levels_give_up_detail_in_the_stated_order() -> None:
    """Each level shows no more of any tier than the one before: medium fixes first, high findings last."""
    order = {"full": 4, "fold": 4, "short": 3, "nofix": 2, "line": 1, "count": 0}
    for before, after in zip(view.LEVELS, view.LEVELS[1:], strict=False):
        for tier in ("high", "medium", "low"):
            assert order[getattr(after, tier)] <= order[getattr(before, tier)]
        assert after.working <= before.working
    assert view.LEVELS[0].left_out() == []
    assert view.LEVELS[1].left_out() == ["the fixes of medium findings"]


def test_the_markdown_points_at_the_files_written_beside_it(tmp_path: Path) -> None:
    paths = write(frozen(), ["md", "html", "sql"], tmp_path, stem="nightly")
    md = next(p for p in paths if p.suffix == ".md").read_text(encoding="utf-8")
    assert "**Every finding, with its evidence and fix:** `nightly.html`." in md
    assert "**Every fix in one script:** `nightly.sql`" in md and "psql -v ON_ERROR_STOP=1 -f nightly.sql" in md
    page = next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8")
    assert "the fix script <code>nightly.sql</code>" in page
    md = write(frozen(), ["md"], tmp_path / "alone", stem="nightly")[0].read_text(encoding="utf-8")
    assert "nightly.html" not in md and "nightly.sql" not in md
    assert "the HTML report (`-f html` writes it)" in md and "an audit with `-f sql` writes the" in md


# ---- fixes: whole, folded, and unable to break out ---------------------------------------------

HOSTILE_FIX = "\n".join(
    [
        "-- a fence: ```",
        "-- a longer one: `````",
        "</details>",
        "<script>alert(1)</script>",
        "<details><summary>pwned</summary>",
        *(f"CREATE INDEX CONCURRENTLY p{i}_idx ON part_{i} (x);" for i in range(194)),
        "-- the last line: 200",
    ]
)


def with_fix(fix: str) -> Report:
    report = frozen()
    first = next(f for f in report.active if f.rank >= view.HIGH)
    report.findings[report.findings.index(first)] = dataclasses.replace(first, fix=fix)
    return report


def test_a_200_line_fix_is_whole_and_folded_and_cannot_break_the_markdown() -> None:
    md = render(with_fix(HOSTILE_FIX), "md")
    assert "<details><summary>Fix (200 lines)</summary>" in md
    rendered = gfm(md)
    blocks = [html.unescape(b) for b in re.findall(r'<code class="language-sql">(.*?)</code>', rendered, re.S)]
    assert HOSTILE_FIX + "\n" in blocks  # whole, verbatim, in one code block
    assert "<script>" not in re.sub(r'<code class="language-sql">.*?</code>', "", rendered, flags=re.S)
    assert rendered.count("<details>") == rendered.count("</details>")  # the fix's own tags stayed code
    assert "<h2>Rule status</h2>" in rendered  # the rest of the report is still Markdown


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.codes: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "code":
            self._in_code = True
            self.codes.append("")

    def handle_endtag(self, tag):
        if tag == "code":
            self._in_code = False

    def handle_data(self, data):
        if self._in_code:
            self.codes[-1] += data


def test_a_200_line_fix_is_whole_and_folded_and_cannot_break_the_html() -> None:
    page = render(with_fix(HOSTILE_FIX), "html")
    assert "<details><summary>Fix (200 lines)</summary>" in page
    parser = Tags()
    parser.feed(page)
    assert HOSTILE_FIX in parser.codes
    assert parser.tags.count("script") == 2  # the data island and the report's own script, nothing else


def test_a_short_fix_is_shown_open() -> None:
    md = render(with_fix("ALTER TABLE t ENABLE ROW LEVEL SECURITY;"), "md")
    assert "```sql\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\n```" in md
    assert "Fix (1 line)" not in md


def test_a_grouped_finding_shows_every_member_fix() -> None:
    """A rule that groups many hits keeps the first fixes in `fix` and all in evidence.fixes: show all."""
    report = frozen()
    f = next(f for f in report.active if f.rank >= view.HIGH)
    members = [f"ALTER TABLE app.p{i} ENABLE ROW LEVEL SECURITY;" for i in range(40)]
    cut = "\n".join(members[:3]) + "\n-- ... and 37 more like these (all of them in evidence.fixes)"
    grouped = dataclasses.replace(f, fix=cut, evidence={"count": 40, "fixes": members, "objects": ["x"], "details": []})
    report.findings[report.findings.index(f)] = grouped
    assert evidence.whole_fix(grouped) == "\n".join(members)
    md, page = render(report, "md"), render(report, "html")
    assert "app.p39 ENABLE" in md and "more like these" not in md
    assert "app.p39 ENABLE" in page and "more like these" not in page


# ---- evidence as words --------------------------------------------------------------------------


def test_evidence_is_words_lists_and_small_tables_never_json() -> None:
    f = frozen().active[0]
    ev = {
        "commands": {"SELECT": {"policies": ["p1"], "role": "app", "why": "not scoped to the tenant"}},
        "sizes": {"a_idx": "64 kB", "b_idx": "1 MB"},
        "details": [{"object": f"app.t{i}", "message": f"app.t{i} has no RLS"} for i in range(30)],
        "objects": [f"app.t{i}" for i in range(30)],
        "fixes": ["ALTER TABLE app.t0 ENABLE ROW LEVEL SECURITY;"],
        "fix_lines": [1] * 30,
        "flag": True,
        "empty": [],
    }
    md = evidence.evidence_md(dataclasses.replace(f, evidence=ev), 10)
    assert "- commands:" in md and "  - `SELECT`: policies: `p1`; role: `app`; why: not scoped to the tenant" in md
    assert "  - `a_idx`: 64 kB" in md
    assert "- objects (30):" in md and "  - app.t9 has no RLS" in md and "app.t10 has" not in md
    assert "  - and 20 more, all listed in the HTML report" in md
    assert "- flag: yes" in md and "empty" not in md and "fixes" not in md and "fix lines" not in md
    assert md.count("objects") == 1  # the grouped finding's entries, once (not also its bare object list)
    assert not re.search(r'[{}"]', md)
    page = str(evidence.evidence_html(dataclasses.replace(f, evidence=ev)))
    assert "<details><summary>30 entries</summary>" in page and "app.t29 has no RLS" in page


def test_long_evidence_is_fast_and_cut_in_words() -> None:
    f = dataclasses.replace(frozen().active[0], evidence={"objects": [f"app.t{i}" for i in range(50_000)]})
    md = evidence.evidence_md(f, 10)
    assert (
        md.startswith("- objects (50,000):")
        and md.count("\n") == 11
        and md.endswith("and 49,990 more, all listed in the HTML report")
    )


# ---- names, plurals and the escapes ---------------------------------------------------------------


NAMES = st.text(
    alphabet=st.one_of(st.sampled_from(list("`|*_[]<>#!~$&\\ ab.\"'")), st.characters(codec="utf-8")),
    min_size=1,
    max_size=30,
)


def visible(name: str) -> str:
    return re.sub(r"[\n\t]", " ", strip_controls(name).replace("\r\n", "\n").replace("\r", "\n"))


@settings(max_examples=300, deadline=None)
@given(NAMES)
def test_a_name_in_a_code_span_is_shown_as_is(name: str) -> None:
    """Inline and in a table cell, a code span shows the name itself: no backslash, no markup."""
    want = visible(name)
    if not want.strip(" "):
        return  # a name of spaces only is not a code span in CommonMark; none can exist in PostgreSQL
    inline = gfm(f"x {md_ident(name)} y\n")
    assert html.unescape(re.search(r"<code>(.*?)</code>", inline, re.S).group(1)) == want.strip(" ") or want
    cell = gfm(f"| a | b |\n|---|---|\n| {md_ident(name, cell=True)} | y |\n")
    codes = re.findall(r"<td><code>(.*?)</code></td>", cell, re.S)
    assert len(codes) == 1, cell
    shown = html.unescape(codes[0])
    assert shown in (want, want.strip(" ")), (shown, want)


def test_titles_show_their_quoted_parts_as_code() -> None:
    assert (
        md_prose("Columns of type `timestamp without time zone`.") == "Columns of type `timestamp without time zone`."
    )
    assert md_prose("`updated_at` with no trigger") == "`updated_at` with no trigger"
    assert md_prose("an odd ` backtick") == r"an odd \` backtick"


def test_plurals_are_written_out() -> None:
    assert plural(1, "table") == "1 table" and plural(3, "table") == "3 tables"
    assert plural(2, "entry") == "2 entries" and plural(2, "index") == "2 indexes"
    assert plural(1204, "fix", "fixes") == "1,204 fixes"
    assert tidy_plurals("on 29 table(s): x") == "on 29 tables: x"
    assert tidy_plurals("1 child table(s)") == "1 child table"
    assert tidy_plurals("3 pg_partman set(s)") == "3 pg_partman sets"
    assert tidy_plurals("application role(s) reporting do") == "application roles reporting do"
    assert tidy_plurals('on public."x(s)" and app.y(s)') == 'on public."x(s)" and app.y(s)'  # names stay


def test_no_pointer_to_the_json_for_fixes_or_evidence_in_the_code() -> None:
    """The JSON is no longer where a fix or evidence ends up: no code or template says so."""
    for path in [*(ROOT / "auditor" / "output").glob("*.py"), *(ROOT / "templates").glob("*.j2")]:
        text = path.read_text(encoding="utf-8")
        for phrase in ("see the JSON", "JSON report has the whole", "clip_sql"):
            assert phrase not in text, (path.name, phrase)
