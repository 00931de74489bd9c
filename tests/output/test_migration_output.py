"""check-migration's review rendered offline: SARIF that GitHub accepts (the migration file as the artifact,
the statement's line), Markdown that escapes names from the database, JSON as built."""

from __future__ import annotations

import json
import re

from validate import validate_sarif

from auditor.output import migration as out


def review(name: str = "events") -> dict:
    advice = {"code": "MIG008", "slug": "create-index-concurrently", "severity": "high",
              "message": f"CREATE INDEX takes SHARE on {name}", "fix": "CREATE INDEX CONCURRENTLY ...;",
              "squawk": ["require-concurrent-index-creation"]}  # fmt: skip
    statement = {
        "index": 1, "file": "db/migrations/0001 add index.sql", "line": 3, "text": f"CREATE INDEX ON {name} (x)",
        "command": "CREATE INDEX", "transactional": True, "status": "ok", "reason": None, "error": None,
        "seconds_on_copy": 0.01, "measured": "in its transaction, before commit",
        "locks": [{"relation": name, "mode": "SHARE", "kind": "table", "new": False, "blocks": "writes",
                   "granted": True}],
        "table_locks": [{"relation": name, "mode": "SHARE", "blocks": "writes"}],
        "rewrite": False, "rewrites": [], "scan": True, "scans": [name],
        "live": {name: {"kind": "r", "rows": 2_000_000, "bytes": 200 << 20, "index_bytes": None,
                        "writes_per_day": 50_000}},
        "blocking_large": [name], "advice": [advice],
    }  # fmt: skip
    failed = {**statement, "index": 2, "line": 5, "text": "ALTER TABLE nowhere ADD b int", "status": "failed",
              "error": 'relation "nowhere" does not exist (SQLSTATE 42P01)', "advice": [], "locks": [],
              "table_locks": [], "live": {}, "blocking_large": []}  # fmt: skip
    finding = {"fingerprint": "0123456789abcdef", "code": "CON008", "severity": "low", "object": f"public.{name}",
               "message": "at is timestamp without time zone", "title": "timestamp without time zone",
               "fix": "ALTER TABLE ...;"}  # fmt: skip
    return {
        "schema_version": "1.0", "tool": {"name": "pg-auditor", "version": "0.0.0"}, "target": "db:5432/app",
        "run": {}, "gate": {"fail_on": "high", "max_locked_bytes": 100 << 20, "reasons": ["a reason"]},
        "migration": {"files": ["db/migrations/0001 add index.sql"], "copy": {"how": "a temporary cluster"},
                      "statements": [statement, failed], "failed": {"index": 2, "file": failed["file"], "line": 5,
                                                                      "error": failed["error"]}},
        "audit_diff": {"against": "before", "introduced": [finding], "removed": [], "unchanged": 3},
    }  # fmt: skip


def test_sarif_points_at_the_migration_file_and_line() -> None:
    doc = json.loads(out.to_sarif(review()))
    validate_sarif(doc)
    (run,) = doc["runs"]
    assert run["artifacts"] == [{"location": {"uri": "db/migrations/0001%20add%20index.sql"}}]
    where = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]}
    assert where == {("MIG008", 3), ("MIG000", 5), ("CON008", 3)}
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"MIG008": "error", "MIG000": "error", "CON008": "note"}


def test_sarif_fingerprints_survive_moved_lines() -> None:
    a, b = review(), review()
    b["migration"]["statements"][0]["line"] = 30
    fps = [{r["partialFingerprints"]["pgAuditor/v1"] for r in json.loads(out.to_sarif(r))["runs"][0]["results"]}
           for r in (a, b)]  # fmt: skip
    assert fps[0] == fps[1]


def test_markdown_escapes_names_from_the_database() -> None:
    md = out.to_markdown(review("ev|il`<b>"))
    prose = re.sub(r"```.*?```", "", md, flags=re.S)  # code blocks show text, never HTML
    prose = re.sub(r"(`+).+?\1", "", prose)  # so do code spans
    assert not re.search(r"(?<!\\)<b>", prose) and "ev\\|il" in md  # a pipe in a table cell is escaped
    assert "| 1 | 3 | CREATE INDEX | SHARE on" in md
    assert "**Statement 2 (line 5) fails on the copy:**" in md
    assert "2.0M rows, 200 MB, 50.0k writes/day" in md


def test_json_is_the_review() -> None:
    r = review()
    assert json.loads(out.to_json(r)) == r
