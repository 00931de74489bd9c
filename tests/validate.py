"""Validators the format tests share: the report's own JSON schema, and SARIF with GitHub's ingestion rules."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import jsonschema

from auditor.base.resources import schemas_dir
from auditor.output.sarif import FINGERPRINT_KEY

from paths import TESTS

SARIF_SCHEMA = json.loads((TESTS / "schemas" / "sarif-schema-2.1.0.json").read_text())
REPORT_SCHEMA = json.loads((schemas_dir() / "report-1.0.schema.json").read_text())


def validate_report_json(doc: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(doc)


def validate_sarif(doc: dict) -> None:
    """The official schema, plus GitHub's ingestion rules that the schema does not express."""
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    for run in doc["runs"]:
        declared = [r["id"] for r in run["tool"]["driver"]["rules"]]
        assert len(declared) == len(set(declared))
        for res in run["results"]:
            assert res["ruleId"] in declared
            assert declared[res["ruleIndex"]] == res["ruleId"]
            assert res["partialFingerprints"][FINGERPRINT_KEY]
            for loc in res["locations"]:
                uri = loc["physicalLocation"]["artifactLocation"]["uri"]  # GitHub rejects the file without it
                parts = urlsplit(uri)
                assert not parts.scheme and not parts.netloc and not uri.startswith("/"), uri  # relative (GH1005)
                assert re.fullmatch(r"[A-Za-z0-9._~%/-]+", uri), uri  # nothing a URI parser could reject
                assert loc["physicalLocation"]["region"]["startLine"] >= 1
