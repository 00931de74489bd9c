"""Secrets: the password never reaches stdout, stderr, --debug logs, report files or error messages.

The password holds every character that breaks naive quoting or redaction (@ : / ' " \\ %40 = and
spaces); it is passed as a URI, as key=value and through PGPASSWORD. Failures (wrong password,
unreachable host, missing database, a URI libpq cannot parse and whose error echoes the token)
each give exactly one line on stderr and exit 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from scratch import admin, run_cli

ROLE = "pga_secret"
PASSWORD = "Zq@ss:w/o'r\"d\\ %40 =kx y"
WRONG = "Wr0ng@:/'\" %40=pw"


def leaks(text: str, password: str = PASSWORD) -> list[str]:
    """Every form of the password a careless message could contain."""
    forms = {password, quote(password, safe=""), password.replace("'", "\\'"), password[:6], password[-6:]}
    return sorted(f for f in forms if f in text)


@pytest.fixture(scope="module")
def target(pg_server) -> Iterator[dict[str, str]]:
    base = pg_server.dsn_for()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(ROLE)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(ROLE), sql.Literal(PASSWORD)))
    params = conninfo_to_dict(base)
    yield {"host": str(params["host"]), "port": str(params["port"]), "dbname": "postgres"}
    admin(base, f"DROP ROLE IF EXISTS {ROLE}")


def uri(t: dict[str, str], password: str = PASSWORD, dbname: str | None = None, port: str | None = None) -> str:
    return f"postgresql://{ROLE}:{quote(password, safe='')}@{t['host']}:{port or t['port']}/{dbname or t['dbname']}"


def keyvalue(t: dict[str, str], password: str = PASSWORD, **over: str) -> str:
    return make_conninfo(**(t | {"user": ROLE, "password": password} | over))


def everything_written(out, out_dir: Path) -> str:
    files = "".join(p.read_text(encoding="utf-8") for p in sorted(out_dir.glob("*")) if p.is_file())
    return out.stdout + out.stderr + files


@pytest.mark.parametrize("form", ["uri", "keyvalue", "pgpassword"])
def test_successful_audit_with_debug_never_prints_the_password(target, form, tmp_path):
    env: dict[str, str] = {}
    if form == "uri":
        dsn = uri(target)
    elif form == "keyvalue":
        dsn = keyvalue(target)
    else:
        dsn = make_conninfo(**(target | {"user": ROLE}))
        env["PGPASSWORD"] = PASSWORD
    out = run_cli("audit", dsn, "-o", str(tmp_path), "--debug", "--exit-zero", env=env)
    assert out.returncode == 0, out.stderr
    assert "query tables" in out.stderr  # --debug really logged
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "pg-auditor-report.html",
        "pg-auditor-report.json",
        "pg-auditor-report.md",
    ]
    assert leaks(everything_written(out, tmp_path)) == []


def test_doctor_and_collect_never_print_the_password(target, tmp_path):
    out = run_cli("doctor", uri(target), "--debug")
    assert out.returncode == 0, out.stderr
    assert "password     from the connection string" in out.stdout
    assert leaks(out.stdout + out.stderr) == []
    snap = tmp_path / "snap.json"
    out = run_cli("collect", keyvalue(target), "-o", str(snap), "--debug")
    assert out.returncode == 0, out.stderr
    assert leaks(everything_written(out, tmp_path)) == []


FAILURES = {
    "wrong password (uri)": (lambda t: uri(t, password=WRONG), "password authentication failed", WRONG),
    "wrong password (key=value)": (lambda t: keyvalue(t, password=WRONG), "password authentication failed", WRONG),
    "unreachable host": (lambda t: uri(t, port="1"), "127.0.0.1:1: Connection refused", PASSWORD),
    "missing database": (lambda t: keyvalue(t, dbname="no_such_db"), 'database "no_such_db" does not exist', PASSWORD),
    "unparsable uri echoing the token": (
        lambda t: f"postgresql://{ROLE}:se%zzcret{quote(PASSWORD, safe='')}@{t['host']}/x",
        "invalid percent-encoded token",
        "se%zzcret",
    ),
    "unterminated quote": (
        lambda t: f"host={t['host']} password='{PASSWORD} user={ROLE}",
        'missing "***" in connection info string',
        PASSWORD,
    ),
}


CASES = [(case, False) for case in sorted(FAILURES)] + [
    ("wrong password (uri)", True),
    ("unparsable uri echoing the token", True),
    ("unterminated quote", True),
]


@pytest.mark.parametrize(("case", "debug"), CASES)
def test_failures_give_one_safe_line_and_exit_2(target, case, debug, tmp_path):
    make, expected, secret = FAILURES[case]
    args = ["audit", make(target), "-o", str(tmp_path / "out"), "--connect-timeout", "5"]
    out = run_cli(*args, *(["--debug"] if debug else []))
    assert out.returncode == 2, out.stderr
    errors = [ln for ln in out.stderr.splitlines() if not ln.startswith("pg-auditor: connected")]
    if not debug:
        assert len(errors) == 1, out.stderr
    assert expected in errors[-1], out.stderr
    assert errors[-1].startswith("pg-auditor: ")
    assert out.stdout == ""
    assert leaks(out.stderr, secret) == [] and leaks(out.stderr) == []
    assert not (tmp_path / "out").exists()


def test_pgpassword_wrong_is_not_echoed(target, tmp_path):
    out = run_cli("audit", make_conninfo(**(target | {"user": ROLE})), "-o", str(tmp_path), env={"PGPASSWORD": WRONG})
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1
    assert leaks(out.stderr, WRONG) == []
