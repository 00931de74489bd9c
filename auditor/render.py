"""Render a Report: Markdown and HTML through Jinja templates, JSON through json.dumps.

Every output is written to a temporary name and renamed into place, so a report on disk is
always whole. Two runs over the same database give the same bytes apart from times and versions.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jinja2

from auditor.report import Report
from auditor.resources import templates_dir

JSON_SCHEMA_VERSION = "1.0"
FORMATS = ("md", "html", "json")
EXTENSIONS = {"md": "md", "html": "html", "json": "json"}


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
            "areas": {k: asdict(v) for k, v in report.scores.items()},
        },
        "counts": report.counts(),
        "inventory": report.inventory,
        "unavailable": report.unavailable,
        "rules": [asdict(s) for s in report.statuses],
        "findings": [finding_dict(f) for f in report.findings],
        "context": report.extras,
    }


def finding_dict(f: Any) -> dict[str, Any]:
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


def _md_escape(value: Any) -> str:
    """Text safe inside a Markdown table cell: pipes, backticks, markup, newlines and bidi controls."""
    text = strip_controls(str(value))
    for ch in ("\\", "|", "`", "*", "_", "[", "]", "<", ">", "#"):
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", " ")


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """Replace control and bidirectional-override characters with visible escapes (one regex pass:
    reports carry tens of thousands of strings)."""
    return _CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _md_code(value: Any) -> str:
    """A fenced block that no backtick run inside the content can close early."""
    text = strip_controls(str(value))
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}sql\n{text}\n{fence}"


def environment(kind: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=(kind == "html"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _md_escape
    env.filters["mdcode"] = _md_code
    env.filters["clean"] = strip_controls
    env.filters["pct"] = lambda v: "n/a" if v is None else f"{round(v * 100)}%"
    env.filters["score"] = lambda v: "n/a" if v is None else str(v)
    return env


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(envelope(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    template = environment(fmt).get_template(f"report.{fmt}.j2")
    return template.render(report=report, doc=envelope(report))


def write(report: Report, formats: list[str], out_dir: Path, stem: str = "pg-auditor-report") -> list[Path]:
    """Write each format whole (temp file then rename) and return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rendered = {fmt: render(report, fmt) for fmt in formats}  # render all before writing any
    paths = []
    for fmt, text in rendered.items():
        path = out_dir / f"{stem}.{EXTENSIONS[fmt]}"
        tmp = path.with_name(path.name + ".partial")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        paths.append(path)
    return paths
