"""Render a Report: Markdown and HTML through Jinja templates, JSON, SARIF and JUnit through serializers.

Every string from the database is untrusted. HTML autoescapes, and every value printed passes
through `finalize`, which turns control and bidi-override characters into visible escapes. The
Markdown environment escapes any plain string it prints (a template cannot forget to); filters that
build Markdown themselves (names as code spans, evidence, fixes) return `MdText`, which passes as is.
The Markdown is held to a GitHub comment: it is rendered at the most detailed level that fits.

Every run's outputs are written to a staging directory beside them and then renamed into place
together, so a report on disk is always whole and of one run. The same report renders to the same
bytes: no clock is read here.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from markupsafe import Markup

from auditor.base.errors import OutputError
from auditor.base.process import give_back
from auditor.base.resources import templates_dir
from auditor.engine.report import Finding, Report
from auditor.output import evidence, jsonout, view
from auditor.output.text import (
    MdText,
    html_finalize,
    html_prose,
    md_finalize,
    md_ident,
    md_prose,
    plural,
    strip_controls,
)

if TYPE_CHECKING:
    import jinja2

JSON_SCHEMA_VERSION = "1.0"


def envelope(report: Report) -> dict[str, Any]:
    """The canonical, versioned JSON document (consumers should ignore unknown fields)."""
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": {"name": "pg-auditor", "version": report.tool_version},
        "database": report.database,
        "run": report.run,
        "scores": {
            "overall": report.overall,
            "coverage": report.coverage,
            "partial": report.partial,
            "areas": {k: asdict(v) for k, v in report.scores.items()},
        },
        "counts": report.counts(),
        "inventory": report.inventory,
        "unavailable": report.unavailable,
        "limited": report.limited,
        "rules": [asdict(s) for s in report.statuses],
        "findings": [finding_dict(f) for f in report.findings],
        "context": report.extras,
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "slug": f.slug,
        "area": f.area,
        "severity": f.severity,
        "title": f.title,
        "object": f.obj.as_dict() | {"display": f.obj.display},
        "message": f.message,
        "evidence": f.evidence,
        "fix": f.fix,
        "fingerprint": f.fingerprint,
        "members": list(f.members),
        "points": f.points,
        "suppressed": f.suppressed,
        "state": f.state,
    }


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{round(v * 100)}%"


def _when(v: Any) -> str:
    """An ISO timestamp as a person reads it in a ticket: 2026-11-23 02:00:05 UTC."""

    if not v:
        return "unknown"
    try:
        t = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    except ValueError:
        return str(v)
    if t.tzinfo is None:
        return t.strftime("%Y-%m-%d %H:%M:%S")
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _signed(v: int | float | None) -> str:
    if v is None:
        return ""
    return f"+{v}" if v > 0 else ("±0" if v == 0 else f"−{abs(v)}")


def _score(partial: bool) -> Callable[[Any], str]:
    """A score as the reports show it: n/a, or marked * when sections were not read (never a clean 100)."""
    return lambda v: "n/a" if v is None else (f"{v}*" if partial else str(v))


def _sentence(text: Any) -> str:
    """A message as a sentence: it ends in a full stop, so what follows it does not run on."""
    text = str(text).rstrip()
    return text if not text or text[-1] in ".!?" else text + "."


def environment(kind: str, partial: bool = False) -> jinja2.Environment:
    import jinja2  # here: a JSON, SARIF or JUnit report has no template to load

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=(kind == "html"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=html_finalize if kind == "html" else md_finalize,
    )
    env.filters["clean"] = strip_controls
    env.filters["pct"] = _pct
    env.filters["score"] = _score(partial)
    env.filters["signed"] = _signed
    env.filters["when"] = _when
    env.filters["sentence"] = _sentence
    env.filters["table_of"] = lambda f: view.table_of(f) or ""
    env.filters["area_rank"] = view.area_rank
    env.filters["doc_url"] = view.doc_url
    if kind == "html":
        env.filters["prose"] = html_prose
        env.filters["obj"] = evidence.object_html
        env.filters["evidence"] = evidence.evidence_html
        env.filters["fix"] = evidence.fix_html
    else:
        env.filters["ident"] = md_ident
        env.filters["prose"] = md_prose
        env.filters["obj"] = evidence.object_md
        env.filters["display"] = evidence.display_md
        env.filters["evidence"] = evidence.evidence_md
        env.filters["fix"] = evidence.fix_md
        env.filters["fix_lines"] = evidence.fix_lines
        env.filters["built"] = MdText  # a macro's output: every value in it was escaped when the macro ran
        env.filters["rule"] = lambda code: MdText(f"[{strip_controls(str(code))}]")  # a reference link (see codes)
    env.globals.update(
        AREA_LABELS=view.AREA_LABELS,
        STATUS_LABELS=view.STATUS_LABELS,
        SEVERITIES=("critical", "high", "medium", "low", "info"),
        ICONS=view.SEVERITY_ICONS,
        plural=plural,
    )
    return env


@cache
def report_environment(kind: str, partial: bool) -> jinja2.Environment:
    """The reports' environment, made once per process: it keeps its compiled templates (0.1 s for the two
    report templates), which a fleet run would otherwise compile again for every database. Not changed
    after it is made (a caller that adds filters takes its own, from environment())."""
    return environment(kind, partial)


# ---- HTML script ------------------------------------------------------------------------------


def script_hash(html: str) -> str:
    """The CSP hash of the report's one inline script, so only that script may run."""
    m = re.search(r"<script>(.*?)</script>", html, re.S)
    body = m.group(1) if m else ""

    return "sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")


def _html_page(report: Report, fail_on: str | None, outputs: view.Outputs | None) -> Iterator[str]:
    """The page in pieces as the template makes them (its CSP placeholder still in)."""
    env = report_environment("html", report.partial)
    v = view.build(report, view.HTML_CAPS, fail_on)
    data = {
        "tables": v["tables"],
        "areas": [a.area for a in v["areas"]],
        "shown": v["shown"],
        "hidden": v["hidden"],
        "database": report.database.get("name"),
    }
    script = (templates_dir() / "report.js").read_text(encoding="utf-8")
    sql = (outputs or view.Outputs()).name("sql", "sql")
    return env.get_template("report.html.j2").generate(report=report, v=v, data=data, script=Markup(script), sql=sql)


def _html(report: Report, fail_on: str | None, outputs: view.Outputs | None = None) -> str:
    html = "".join(_html_page(report, fail_on, outputs))
    return html.replace("__CSP_SCRIPT_HASH__", script_hash(html))


def _html_to(report: Report, fail_on: str | None, outputs: view.Outputs | None, fh: TextIO) -> None:
    """The page written as it is made (4.7 MB on a 10,000-table catalog). The one inline script is
    report.js as is (no value of the report is in it), so its hash is known before the page is made."""
    script = (templates_dir() / "report.js").read_text(encoding="utf-8")
    digest = script_hash(f"<script>{script}</script>")
    for piece in _html_page(report, fail_on, outputs):
        fh.write(piece.replace("__CSP_SCRIPT_HASH__", digest) if "__CSP_" in piece else piece)


def _json(report: Report, fail_on: str | None, outputs: view.Outputs | None = None) -> str:
    return jsonout.dumps(envelope(report)) + "\n"


def _json_to(report: Report, fail_on: str | None, outputs: view.Outputs | None, fh: TextIO) -> None:
    jsonout.dump(envelope(report), fh)
    fh.write("\n")


def _sarif(report: Report, fail_on: str | None, outputs: view.Outputs | None = None) -> str:
    from auditor.output.sarif import to_sarif  # late: only runs that ask for SARIF load it

    return jsonout.dumps(to_sarif(report)) + "\n"


def _junit(report: Report, fail_on: str | None, outputs: view.Outputs | None = None) -> str:
    from auditor.output.junit import to_junit  # late: only runs that ask for JUnit load it

    return to_junit(report, fail_on or report.run.get("fail_on") or "high")


def _markdown_pages(
    report: Report, fail_on: str | None, outputs: view.Outputs | None, over_budget: bool
) -> list[tuple[view.Level, Callable[[], str]]]:
    """Each level of view.LEVELS (most detailed first) and what renders the Markdown at it."""
    v = view.build(report, view.MD_CAPS, fail_on)
    outputs = outputs or view.Outputs()
    template = report_environment("md", report.partial).get_template("report.md.j2")
    page = {
        "report": report,
        "v": v,
        "where": {"html": outputs.name("html", "html"), "sql": outputs.name("sql", "sql")},
        "codes": view.linked_codes(v),
        "BUDGET": view.MD_BUDGET,
        "CHANGES_MAX": 50,
        "SUPPRESSED_MAX": 50,
        "EVIDENCE_LIST_MAX": 10,
        "over_budget": over_budget,
    }

    def at(level: view.Level) -> Callable[[], str]:
        return lambda: template.render(page, level=level, plans=view.plan(v["groups"], level))

    return [(level, at(level)) for level in (view.LEVELS[-1:] if over_budget else view.LEVELS)]


def markdown_levels(
    report: Report, fail_on: str | None = None, outputs: view.Outputs | None = None, over_budget: bool = False
) -> Iterator[tuple[view.Level, str]]:
    """The Markdown at each level of view.LEVELS in turn, most detailed first (rendered when asked for)."""
    for level, page in _markdown_pages(report, fail_on, outputs, over_budget):
        yield level, page()


def _markdown(report: Report, fail_on: str | None, outputs: view.Outputs | None = None) -> str:
    """The Markdown at the most detailed level that fits a GitHub comment; if none does, the last
    level, which then says so. Each level is shorter than the one before, so the levels are bisected:
    four renders at most instead of up to eleven, and on a large catalog never the first, most detailed
    one (10 MB and a second on 10,000 tables, to keep the 16 kB of the last)."""
    pages = [page for _level, page in _markdown_pages(report, fail_on, outputs, False)]
    fitting: dict[int, str] = {}

    def fits(i: int) -> bool:
        text = pages[i]()
        if len(text) <= view.MD_BUDGET:
            fitting[i] = text
        return i in fitting

    lo, hi = 0, len(pages)  # the first level that fits is in [lo, hi); hi: none does
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(mid):
            hi = mid
        else:
            lo = mid + 1
    if lo < len(pages):
        return fitting[lo]
    return _markdown_pages(report, fail_on, outputs, True)[0][1]()


def _fix_script(report: Report, fail_on: str | None, outputs: view.Outputs | None = None) -> str:
    from auditor.output.fix_script import fix_script  # late: only runs that ask for the script load it

    return fix_script(report, fail_on)


@dataclass(frozen=True)
class Format:
    """One report format: the file extension it is written with and the function that renders it."""

    extension: str
    render: Callable[[Report, str | None, view.Outputs | None], str]
    # writes the same text to an open file as it is made (the large formats): never held whole
    stream: Callable[[Report, str | None, view.Outputs | None, TextIO], None] | None = None


# The formats, in the order --help and the docs name them. A new format is one writer and one row.
WRITERS: dict[str, Format] = {
    "md": Format("md", _markdown),
    "html": Format("html", _html, _html_to),
    "json": Format("json", _json, _json_to),
    "sarif": Format("sarif", _sarif),
    "junit": Format("junit.xml", _junit),
    "sql": Format("sql", _fix_script),
}
FORMATS = tuple(WRITERS)


def render(report: Report, fmt: str, fail_on: str | None = None, outputs: view.Outputs | None = None) -> str:
    """One format as text. outputs names the files written beside it, which the Markdown points at."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown format {fmt!r}")
    return WRITERS[fmt].render(report, fail_on, outputs)


def _cannot(out_dir: Path, exc: OSError) -> OutputError:
    why = exc.strerror or type(exc).__name__
    if isinstance(exc, FileExistsError | NotADirectoryError):
        why = "a file is in the way (-o names a directory)"
    return OutputError(f"cannot write the reports to {out_dir}: {why}")


@dataclass(frozen=True)
class Staging:
    """Where a run's formats are written before they are moved into out_dir, and the directories
    prepare() created (removed again, when empty, if the run leaves nothing)."""

    path: Path
    created: tuple[Path, ...] = ()


def prepare(out_dir: Path, stem: str, formats: list[str]) -> Staging:
    """Check the output directory before the audit starts: create it, and in it the staging directory
    the formats are written to (same filesystem, so moving them in is a rename). Raises OutputError."""
    created = tuple(p for p in (out_dir, *out_dir.parents) if not p.exists())
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            path = out_dir / f"{stem}.{WRITERS[fmt].extension}"
            if path.is_dir():
                raise OutputError(f"cannot write the reports to {out_dir}: {path.name} is a directory")
        return Staging(Path(tempfile.mkdtemp(prefix=".pg-auditor-", dir=out_dir)), created)
    except OSError as exc:
        raise _cannot(out_dir, exc) from None


def discard(staging: Staging | None, keep_dirs: bool = False) -> None:
    """Remove a staging directory and whatever it holds, and (unless keep_dirs) the directories made
    for it that stayed empty: a run that failed leaves nothing behind."""
    if staging is None:
        return
    shutil.rmtree(staging.path, ignore_errors=True)
    if not keep_dirs:
        for d in staging.created:
            try:
                d.rmdir()
            except OSError:
                break


def write(
    report: Report,
    formats: list[str],
    out_dir: Path,
    stem: str = "pg-auditor-report",
    fail_on: str | None = None,
    staging: Staging | None = None,
) -> list[Path]:
    """Write every format whole and return the paths: all are written to a staging directory in out_dir
    (see prepare), then moved in together, so out_dir never holds one run's Markdown beside another's
    HTML, nor a half-written file. On failure nothing is moved and the staging is removed. The HTML and
    JSON are written as they are made, never held whole (tens of MB on a large catalog)."""
    staging = staging or prepare(out_dir, stem, formats)
    paths: list[Path] = []
    try:
        outputs = view.Outputs(stem, tuple(formats))
        names = []
        for fmt in formats:
            if fmt not in WRITERS:
                raise ValueError(f"unknown format {fmt!r}")
            writer = WRITERS[fmt]
            name = f"{stem}.{writer.extension}"
            with open(staging.path / name, "w", encoding="utf-8") as fh:
                if writer.stream is not None:
                    writer.stream(report, fail_on, outputs, fh)
                else:
                    fh.write(writer.render(report, fail_on, outputs))
                fh.flush()
                os.fsync(fh.fileno())  # a full disk says so here, before anything is moved
            names.append(name)
            give_back()  # what rendering it freed, before the next one
        for name in names:
            os.replace(staging.path / name, out_dir / name)
            paths.append(out_dir / name)
    except OSError as exc:
        raise _cannot(out_dir, exc) from None
    finally:
        discard(staging, keep_dirs=bool(paths))
    return paths
