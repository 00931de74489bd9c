"""Determinism: two audits of the same database give byte-identical reports apart from timestamps."""

from __future__ import annotations

import json
import re

from scratch import run_cli, scratch_database

SCHEMA = (
    """
CREATE SCHEMA b_app; CREATE SCHEMA "A app";
CREATE TABLE b_app.tenants (id bigint PRIMARY KEY);
CREATE TABLE "A app"."Tenants" (id bigint PRIMARY KEY);
"""
    + "\n".join(
        f"""CREATE TABLE b_app.t{i} (id bigint PRIMARY KEY, tenant_id bigint REFERENCES b_app.tenants,
                                other_id bigint REFERENCES "A app"."Tenants");
CREATE TABLE "A app"."T {i}" (id bigint PRIMARY KEY, "Tenant" bigint REFERENCES "A app"."Tenants");"""
        for i in range(12)
    )
    + "\nANALYZE;"
)

SECONDS = re.compile(r"\b\d+(\.\d+)? s\b")  # how long the run took
TIMES = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")


def normalized(text: str, fmt: str) -> str:
    if fmt == "json":
        doc = json.loads(text)
        doc["database"]["collected_at"] = None
        # pg_database_size is a reading of the files at that moment: autovacuum making the catalogs' free
        # space and visibility maps after the DDL above grows it between two audits (162 kB seen)
        doc["database"]["database_bytes"] = None
        for key in ("seconds", "started_at"):
            doc["run"].pop(key, None)
        return json.dumps(doc, indent=2, sort_keys=True)
    return SECONDS.sub("<seconds>", TIMES.sub("<time>", text))


def test_two_audits_are_identical_apart_from_times(pg_server, tmp_path):
    with scratch_database(pg_server, "pga_determinism", SCHEMA) as dsn:
        outs = []
        for run in ("one", "two"):
            out = run_cli("audit", dsn, "-o", str(tmp_path / run), "--exit-zero")
            assert out.returncode == 0, out.stderr
            outs.append(tmp_path / run)
    for fmt in ("md", "html", "json"):
        first, second = ((d / f"pg-auditor-report.{fmt}").read_text(encoding="utf-8") for d in outs)
        assert normalized(first, fmt) == normalized(second, fmt), fmt
    doc = json.loads((outs[0] / "pg-auditor-report.json").read_text(encoding="utf-8"))
    assert len([f for f in doc["findings"] if f["code"] == "IDX001"]) >= 36
    # Within one rule and severity, findings come in object order.
    for code in {f["code"] for f in doc["findings"]}:
        for sev in {f["severity"] for f in doc["findings"]}:
            keys = [
                tuple(f["object"][k] or "" for k in ("schema", "table", "name"))
                for f in doc["findings"]
                if f["code"] == code and f["severity"] == sev
            ]
            assert keys == sorted(keys), (code, sev)
