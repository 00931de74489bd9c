"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

GitHub rejects a whole upload when one result lacks `physicalLocation.artifactLocation.uri`, and
accepts only relative URIs (or file: ones) there. A database object is not a file, so each result
points at a stable, repo-relative pseudo path per object, `pg-auditor/DB/SCHEMA/TABLE`, percent-
encoded per segment; `--sarif-anchor FILE` points every result at a real file of the repository
instead (a schema dump or a migrations file). The object itself is in `logicalLocations`, the
finding's identity in `partialFingerprints`, so alerts survive rewording and close when fixed.
Every rule that ran is declared, with or without results, so code scanning can close fixed alerts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from auditor.engine.report import Finding, Report
from auditor.output.text import strip_controls
from auditor.output.view import doc_url
from auditor.rules import load_all

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "pgAuditor/v1"
MAX_RESULTS = 5000  # GitHub shows at most this many per run; the worst come first
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "7.5", "medium": "5.0", "low": "3.0", "info": "1.0"}


def artifact_uri(report: Report, f: Finding, anchor: str | None) -> str:
    """A relative URI GitHub accepts: the anchor file, or a stable pseudo path per object."""
    if anchor:
        return "/".join(quote(part, safe="") for part in anchor.strip("/").split("/"))
    db = report.database.get("name") or "database"
    obj = f.obj
    if obj.schema:
        leaf = obj.table or obj.name or "_schema"
        parts = [db, obj.schema, leaf]
    else:
        parts = [db, f"_{obj.kind.replace(' ', '_')}", obj.name or "_"]
    return "pg-auditor/" + "/".join(quote(p, safe="") for p in parts)


def logical_location(f: Finding) -> dict[str, Any]:
    kind = {
        "table": "type",
        "partitioned table": "type",
        "view": "type",
        "column": "member",
        "constraint": "member",
        "index": "member",
        "policy": "member",
        "function": "function",
        "role": "object",
    }.get(f.obj.kind, "object")
    return {"fullyQualifiedName": f.obj.display, "kind": kind, "name": f.obj.name or f.obj.table or ""}


def _rule_descriptor(status: Any, doc: str | None) -> dict[str, Any]:
    tags = [status.area]
    if status.area == "isolation":
        tags.append("security")
    out: dict[str, Any] = {
        "id": status.code,
        "name": status.slug,
        "shortDescription": {"text": status.title},
        "helpUri": doc_url(status.code),
        "defaultConfiguration": {"level": LEVELS[status.severity]},
        "properties": {"tags": tags, "precision": "high", "problem.severity": LEVELS[status.severity]},
    }
    if status.area == "isolation":
        out["properties"]["security-severity"] = SECURITY_SEVERITY[status.severity]
    if doc:
        out["fullDescription"] = {"text": doc.split("\n## ", 1)[0].strip()}
        out["help"] = {"text": doc, "markdown": doc}
    return out


def _result(report: Report, f: Finding, index: dict[str, int], anchor: str | None) -> dict[str, Any]:
    text = f"{f.obj.display}: {f.message}"
    if f.fix:
        text += f"\n\nFix:\n{f.fix}"
    text = strip_controls(text)  # shown by code scanning: bidi overrides and controls made visible
    result: dict[str, Any] = {
        "ruleId": f.code,
        "level": LEVELS[f.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(report, f, anchor)},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [logical_location(f)],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {"severity": f.severity, "area": f.area, "object": f.obj.as_dict(), "evidence": f.evidence},
    }
    if f.code in index:
        result["ruleIndex"] = index[f.code]
    if f.fix:
        result["properties"]["fix"] = f.fix
    if f.state:
        result["baselineState"] = "new" if f.state == "new" else "unchanged"
    if f.suppressed:
        kind = "inSource" if f.suppressed.startswith("comment") else "external"
        result["suppressions"] = [{"kind": kind, "justification": f.suppressed}]
    return result


def rule_docs() -> dict[str, str]:
    """Each rule's documentation, for the help GitHub shows beside an alert."""

    return {code: r.doc for code, r in load_all().items()}


def to_sarif(report: Report, anchor: str | None = None) -> dict[str, Any]:
    anchor = anchor or report.run.get("sarif_anchor")
    docs = rule_docs()
    statuses = sorted(report.statuses, key=lambda s: s.code)
    rules = [_rule_descriptor(s, docs.get(s.code)) for s in statuses]
    index = {s.code: i for i, s in enumerate(statuses)}
    findings = report.findings[:MAX_RESULTS]
    notifications = []
    for s in statuses:
        if s.status in ("skipped", "not_evaluated", "error"):
            notifications.append(
                {
                    "level": "error" if s.status == "error" else "note",
                    "message": {"text": f"{s.code} {s.status.replace('_', ' ')}: {s.reason or 'no reason given'}"},
                    "associatedRule": {"id": s.code, "index": index[s.code]},
                }
            )
    if len(report.findings) > MAX_RESULTS:
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{len(report.findings) - MAX_RESULTS} more findings left out of this SARIF file "
                    f"(limit {MAX_RESULTS}, worst first); the JSON report has them all"
                },
            }
        )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "pg-auditor",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"pg-auditor/{report.database.get('name') or 'database'}/"},
        "invocations": [
            {
                "executionSuccessful": not any(s.status == "error" for s in statuses),
                "toolExecutionNotifications": notifications,
            }
        ],
        "results": [_result(report, f, index, anchor) for f in findings],
        "properties": {
            "database": report.database.get("name"),
            "serverVersion": report.database.get("server_version"),
            "scores": {"overall": report.overall, **{a: s.score for a, s in report.scores.items()}},
            "coverage": report.coverage,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
