"""Real public schemas of several stacks, audited and compared with a reviewer's expected findings.

Each folder of tests/realschemas/ holds a real project's DDL and an `expected.toml` a reviewer wrote
by reading the catalog: `[[expected]]` findings that must be reported (at `min_severity` or above)
and `[[rejected]]` ones that are false. The test fails on a finding at medium or above that is not
expected (a false positive) and on an expected finding that is missing. A false positive the reviewer
traced to a documented limit of catalog-only evidence (`limit = "..."` on a `[[rejected]]` entry: a fact
only the data or the application holds) is tolerated, still counted false, within a precision floor of
95%. Schemas on which the tool is not right yet are marked xfail(strict=True): the day they pass, the
marker must go.
"""

from __future__ import annotations

import gzip
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import yaml

from auditor.engine import Run
from auditor.engine.config import Config, from_mapping
from auditor.rules.registry import SEVERITY_RANK

from paths import TESTS
from scratch import scratch_database, snapshot_of

REAL = TESTS / "realschemas"
SUPABASE_STUB = REAL / "_supabase" / "supabase_stub.sql"
JUDGED = SEVERITY_RANK["medium"]
PRECISION_FLOOR = 0.95  # true findings among those at medium and above, as the reviewer judged them

# Schemas the tool does not read right yet, with the issue that fixes them (strict: remove when fixed).
NOT_YET: dict[str, str] = {}


@dataclass(frozen=True)
class Judged:
    code: str
    obj: str
    min_severity: str


def expectations(folder: Path) -> tuple[list[Judged], list[Judged]]:
    """The reviewer's expected and rejected findings (one entry may list several objects)."""
    doc = tomllib.loads((folder / "expected.toml").read_text(encoding="utf-8"))

    def entries(key: str, severity_key: str) -> list[Judged]:
        out = []
        for e in doc.get(key, []):
            objs = e.get("objects") or [e["object"]]
            out += [Judged(e["code"], o, e.get(severity_key, "medium")) for o in objs]
        return out

    return entries("expected", "min_severity"), entries("rejected", "reported_severity")


def known_limits(folder: Path) -> dict[tuple[str, str], str]:
    """Rejected findings the reviewer traced to a documented limit of catalog-only evidence (`limit = "..."`:
    say which fact only the data or the application holds). They still count as false in the precision;
    the test tolerates them, within the precision floor, so that any other false positive fails it."""
    doc = tomllib.loads((folder / "expected.toml").read_text(encoding="utf-8"))
    out = {}
    for e in doc.get("rejected", []):
        if e.get("limit"):
            out |= {(e["code"], o): e["limit"] for o in e.get("objects") or [e["object"]]}
    return out


def load_files(folder: Path) -> list[Path]:
    files = [SUPABASE_STUB] if (folder / "rls_expected.toml").exists() else []
    files.append(folder / "schema.sql.gz" if (folder / "schema.sql.gz").exists() else folder / "schema.sql")
    if (folder / "seed.sql").exists():
        files.append(folder / "seed.sql")
    return files


def database_name(folder: Path) -> str:
    """The database name the reviewer audited (findings about the database itself are named by it):
    prove.py's for the Supabase apps, the folder's for the others."""
    return f"prove_{folder.name}" if (folder / "rls_expected.toml").exists() else folder.name


def psql(dsn: str, path: Path) -> None:
    """Load a file as its project documents it: psql with ON_ERROR_STOP (the files use psql's \\set)."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    out = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", "-"],
        input=data,
        capture_output=True,
        cwd=path.parent,
        check=False,
    )
    assert out.returncode == 0, f"{path.name} did not load: {out.stderr.decode()[-2000:]}"


@pytest.fixture
def real_database(pg_server, request) -> Iterator[str]:
    """The schema loaded into a scratch database and analyzed (roles it creates are dropped after)."""
    folder = REAL / request.param
    with scratch_database(pg_server, database_name(folder)) as dsn:
        for path in load_files(folder):
            psql(dsn, path)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")
        yield dsn


def declared_references(folder: Path) -> dict[str, str]:
    """The project's own list of references it enforces without a foreign key, in pg-auditor's
    `[tool.pg-auditor.references]` form. GitLab's loose foreign keys (config/gitlab_loose_foreign_keys.yml:
    child table -> [{table: parent, column: child column}]) point at the parent's id."""
    path = folder / "gitlab_loose_foreign_keys.yml"
    if not path.exists():
        return {}
    loose = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {f"{child}.{e['column']}": f"{e['table']}(id)" for child, entries in loose.items() for e in entries}


def declared_tenant_keys(folder: Path) -> dict[str, list[str]]:
    """The project's published tenant key per table, in pg-auditor's `tenant_keys` form. GitLab's
    db/docs sharding keys (sharding_keys.tsv: table, schema, `col->table[,col->table]`...)."""
    path = folder / "sharding_keys.tsv"
    if not path.exists():
        return {}
    keys = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        table, _, sharding, *_ = [*line.split("\t"), "", ""]
        columns = [part.split("->")[0].strip() for part in sharding.split(",") if part.strip()]
        if columns:
            keys[table] = columns
    return keys


# GitLab's gitlab_schema (db/docs/*.yml) -> the database it lives in once decomposed: CI and security
# data have their own databases, and cell-local data stays in its cell while organizations move between
# cells (GitLab's own cross-database foreign key spec lists zoekt_* -> namespaces among the keys to
# convert). gitlab_shared*, gitlab_internal and gitlab_pm are in every database: not listed.
GITLAB_DATABASES = {
    "gitlab_ci": "ci",
    "gitlab_ci_cell_local": "ci",
    "gitlab_sec": "sec",
    "gitlab_main_cell_local": "main_cell_local",
    "gitlab_main": "main",
    "gitlab_main_org": "main",
    "gitlab_main_user": "main",
    "gitlab_main_cell_setting": "main",
    "gitlab_main_jh": "main",
}


def declared_databases(folder: Path) -> dict[str, str]:
    """The database each table lives in, in pg-auditor's `databases` form, from GitLab's gitlab_schema
    (sharding_keys.tsv: table, schema, ...)."""
    path = folder / "sharding_keys.tsv"
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        table, schema, *_ = [*line.split("\t"), ""]
        if schema in GITLAB_DATABASES:
            out[table] = GITLAB_DATABASES[schema]
    return out


def config_for(name: str) -> Config:
    """The configuration a DBA would write for this schema: the references, tenant keys and databases the
    project itself publishes, nothing else."""
    mapping: dict[str, object] = {}
    if refs := declared_references(REAL / name):
        mapping["references"] = refs
    thresholds: dict[str, object] = {}
    if keys := declared_tenant_keys(REAL / name):
        thresholds["tenant_keys"] = keys
    if databases := declared_databases(REAL / name):
        thresholds["databases"] = databases
    if thresholds:
        mapping["thresholds"] = thresholds
    return from_mapping(mapping, f"{name} (test)") if mapping else Config()


def audit(dsn: str, name: str) -> list:
    """The active findings at medium and above, as the schema's configuration reports them."""
    report = Run(config_for(name)).finish(snapshot_of(dsn), {"source": "test"})
    return [f for f in report.active if SEVERITY_RANK[f.severity] >= JUDGED]


def schemas() -> list:
    names = sorted(p.name for p in REAL.iterdir() if (p / "expected.toml").exists())
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=NOT_YET[n], strict=True)) if n in NOT_YET else n for n in names
    ]


@pytest.mark.slow
@pytest.mark.parametrize("real_database", schemas(), indirect=True)
def test_findings_match_the_review(real_database: str, request) -> None:
    name = request.node.callspec.params["real_database"]
    expected, _rejected = expectations(REAL / name)
    found = audit(real_database, name)
    reported = {(f.code, f.obj.display): f.severity for f in found}
    wanted = {(e.code, e.obj): e.min_severity for e in expected}
    missing = sorted(
        f"{code} {obj} (at least {sev})"
        for (code, obj), sev in wanted.items()
        if SEVERITY_RANK.get(reported.get((code, obj), "info"), 0) < SEVERITY_RANK[sev] or (code, obj) not in reported
    )
    limits = known_limits(REAL / name)
    false = sorted(f"{code} {sev} {obj}" for (code, obj), sev in reported.items() if (code, obj) not in wanted)
    unexplained = sorted(
        f"{code} {sev} {obj}" for (code, obj), sev in reported.items() if (code, obj) not in wanted | limits.keys()
    )
    true = len(reported) - len(false)
    precision = true / len(reported) if reported else 1.0
    print(
        f"{name}: {len(reported)} at medium+, {true} expected (precision {precision:.1%}), {len(missing)} missing, "
        f"{len(false) - len(unexplained)} false by a documented limit"
    )
    assert not unexplained and not missing and precision >= PRECISION_FLOOR, (
        f"{name}: precision {precision:.1%}; unexpected at medium+: {unexplained[:40]}; missing: {missing[:40]}"
    )


def test_expectation_files_parse() -> None:
    for folder in REAL.iterdir():
        if (folder / "expected.toml").exists():
            expected, rejected = expectations(folder)
            assert expected, f"{folder.name}: no [[expected]] entries"
            for e in expected + rejected:
                assert e.min_severity in SEVERITY_RANK, (folder.name, e)
