"""The migration review (`check-migration`) as Markdown (templates/migration.md.j2), JSON and SARIF.

The review is a plain dict built by runs/migration.py. JSON is that dict. SARIF points every result at
the migration file and the statement's line, so code scanning shows it on the pull request's diff: one
result per advice (rule MIGnnn) and per audit finding the migration introduces (the audit's rule code,
at the line of the statement that created or changed the object when it can tell, else line 1).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from auditor.base.errors import OutputError
from auditor.output import render
from auditor.output.sarif import FINGERPRINT_KEY
from auditor.output.text import MdText, md_code, strip_controls

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
FORMATS = {"md": "md", "json": "json", "sarif": "sarif"}


def to_json(review: dict[str, Any]) -> str:
    return json.dumps(review, indent=2, ensure_ascii=False, default=str) + "\n"


def to_markdown(review: dict[str, Any]) -> str:
    env = render.environment("md")
    env.filters["code"] = lambda text: md_code(text)
    env.filters["size"] = _size
    env.filters["md"] = MdText
    return env.get_template("migration.md.j2").render(r=review, m=review["migration"], d=review.get("audit_diff"))


def _size(live: dict[str, Any] | None) -> str:
    from auditor.analysis.migration import human_bytes, human_rows

    if not live:
        return "not on the target"
    writes = live.get("writes_per_day")
    rate = f", {human_rows(writes)} writes/day" if writes is not None else ""
    return f"{human_rows(live.get('rows'))} rows, {human_bytes(live.get('bytes'))}{rate}"


def _uri(path: str) -> str:
    return "/".join(quote(part, safe="") for part in path.strip("/").split("/") if part not in ("", "."))


def _line_of(review: dict[str, Any], obj: str) -> tuple[str, int]:
    """The statement that names the finding's table (the last one): where its alert shows in the diff."""
    table = obj.split(".")[-1].split(" ")[0].strip('"') if obj else ""
    best = None
    for s in review["migration"]["statements"]:
        if table and table in s["text"]:
            best = s
    s = best or review["migration"]["statements"][0]
    return s["file"], (s["line"] if best else 1)


def to_sarif(review: dict[str, Any]) -> str:
    from auditor.analysis.migration import ADVICE

    rules: dict[str, dict[str, Any]] = {}
    results = []

    def rule(code: str, name: str, text: str, severity: str) -> int:
        if code not in rules:
            rules[code] = {"id": code, "name": name, "shortDescription": {"text": text},
                           "defaultConfiguration": {"level": LEVELS[severity]},
                           "properties": {"tags": ["migration"], "precision": "high"}}  # fmt: skip
        return list(rules).index(code)

    for s in review["migration"]["statements"]:
        for a in s["advice"]:
            slug, severity, squawk = ADVICE[a["code"]]
            idx = rule(a["code"], slug, slug.replace("-", " "), severity)
            text = strip_controls(f"{a['message']}\n\nInstead:\n{a['fix']}")
            results.append(_result(a["code"], idx, a["severity"], text, s["file"], s["line"],
                                   _fp(s, a["code"]), {"squawk": list(squawk)}))  # fmt: skip
        if s["status"] == "failed":
            idx = rule("MIG000", "fails-on-copy", "the statement fails on a copy of the schema", "high")
            results.append(_result("MIG000", idx, "high", strip_controls(f"fails on the copy: {s['error']}"),
                                   s["file"], s["line"], _fp(s, "MIG000"), {}))  # fmt: skip
    for f in (review.get("audit_diff") or {}).get("introduced", []):
        idx = rule(f["code"], f["code"], f["title"], f["severity"])
        file, line = _line_of(review, f["object"])
        text = strip_controls(f"introduced: {f['object']}: {f['message']}" + (f"\n\nFix:\n{f['fix']}" if f["fix"]
                                                                             else ""))  # fmt: skip
        results.append(_result(f["code"], idx, f["severity"], text, file, line, f["fingerprint"],
                               {"object": f["object"]}))  # fmt: skip
    files = review["migration"]["files"]
    run = {
        "tool": {"driver": {"name": "pg-auditor", "version": review["tool"]["version"],
                            "semanticVersion": review["tool"]["version"], "rules": list(rules.values())}},
        "automationDetails": {"id": "pg-auditor/check-migration/"},
        "artifacts": [{"location": {"uri": _uri(p)}} for p in files],
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": []}],
        "results": results,
        "properties": {"target": review["target"], "gate": review["gate"]},
    }  # fmt: skip
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def _fp(statement: dict[str, Any], code: str) -> str:
    """An advice's identity: the file, the code and the statement's text (not its line or position), so an
    alert stays one alert while lines move around it."""
    text = " ".join(statement["text"].split())
    return hashlib.sha256(json.dumps([code, statement["file"], text]).encode()).hexdigest()[:16]


def _result(code: str, idx: int, severity: str, text: str, file: str, line: int, fp: str,
            props: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    return {
        "ruleId": code,
        "ruleIndex": idx,
        "level": LEVELS[severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(file)},
                                            "region": {"startLine": max(1, int(line))}}}],
        "partialFingerprints": {FINGERPRINT_KEY: fp},
        "properties": {"severity": severity, **props},
    }  # fmt: skip


WRITERS = {"md": to_markdown, "json": to_json, "sarif": to_sarif}


def check_formats(formats: list[str]) -> list[str]:
    out = []
    for f in formats:
        for part in f.split(","):
            part = part.strip().lower()
            if part not in WRITERS:
                raise OutputError(f"check-migration writes md, json or sarif, not {part!r}")
            if part not in out:
                out.append(part)
    return out


def write(review: dict[str, Any], formats: list[str], out_dir: Path, stem: str,
          staging: render.Staging | None = None) -> list[Path]:  # fmt: skip
    """Every format rendered first, written to the staging directory, then moved in together."""
    staging = staging or render.prepare(out_dir, stem, [])
    paths: list[Path] = []
    try:
        rendered = {f"{stem}.{fmt}": WRITERS[fmt](review) for fmt in formats}
        for name, text in rendered.items():
            with open(staging.path / name, "w", encoding="utf-8") as fh:
                fh.write(text)
        for name in rendered:
            os.replace(staging.path / name, out_dir / name)
            paths.append(out_dir / name)
    except OSError as exc:
        raise OutputError(f"cannot write the review to {out_dir}: {exc.strerror or type(exc).__name__}") from None
    finally:
        render.discard(staging, keep_dirs=bool(paths))
    return paths
