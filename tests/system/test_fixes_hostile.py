"""Hostile names cannot turn a fix into someone else's SQL (issue 16).

Whoever can name an object in the audited database must not be able to make a fix run their
statements with the DBA's privileges. Each case holds a table `public.canary`; objects are named with
payloads that would drop it (or run a shell command through psql's `\\!`) if a fix printed a name raw:
quotes, semicolons, line breaks, `--`, `*/`, a 63-byte name. Then EVERY fix of every finding runs, one
psql per fix, on a copy, once with ON_ERROR_STOP off (each statement runs even after one failed: the
worst case) and once with it on, and the canary must still be there. A lexer (tests/sqllex.py) also
checks that no payload sits in a fix outside a quoted identifier, a string literal or a comment.

(a) every rule's documented Bad case with its indexes, constraints, partitions, policies, triggers,
    sequences and views renamed to hostile names (the names that drive detection, tables and
    columns, stay);
(b) tests/system/hostile_schema.sql: hostile schema, table, column, partition, constraint and index
    names, a partial-index predicate and a CHECK holding a line break inside a string literal; its
    whole `-f sql` script runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from auditor.engine import Run
from auditor.engine.config import Config
from auditor.engine.report import Report
from auditor.output.fix_script import fix_script
from auditor.output.rule_docs import example, has_fix
from auditor.rules import load_all

from scratch import psql, scratch_database, snapshot_of
from sqllex import code_only

RULES = load_all()
HERE = Path(__file__).resolve().parent
PWNED = Path("/tmp/pga_hostile_pwned")
PAYLOADS = [
    "x CHECK (true); DROP TABLE public.canary; --",
    "a\"b'c;\nDROP TABLE public.canary; --",
    "*/ DROP TABLE public.canary; /*",
    "--\r\nDROP TABLE public.canary;\n",
    f"\n\\! touch {PWNED}\n",
    "é'\"\n;" + "ü" * 40,  # cut to 63 bytes on a character boundary
    '"' + "x" * 70,  # cut to exactly 63 bytes
]
MARKERS = ("DROP TABLE public.canary", "\\!", str(PWNED))
TIMEOUTS = "-c statement_timeout=60000 -c lock_timeout=5000"


def hostile(n: int) -> str:
    """The n-th hostile name, as PostgreSQL stores it (at most 63 bytes, cut on a character boundary)."""
    name = f"{n}{PAYLOADS[n % len(PAYLOADS)]}"
    return name.encode("utf-8")[:63].decode("utf-8", errors="ignore")


def audit(dsn: str) -> Report:
    return Run(Config()).finish(snapshot_of(dsn), {"source": "test"})


def canary_alive(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT to_regclass('public.canary') IS NOT NULL").fetchone()[0]


def payload_outside_quotes(fix: str) -> list[str]:
    """The markers of a payload found in what runs as code (not in a comment, literal or quoted name)."""
    code = code_only(fix)
    code = "\n".join(line for line in code.splitlines() if line.strip() != "\\set ON_ERROR_STOP on")
    return [m for m in MARKERS if m in code]


def risky_for_the_cluster(fix: str, superuser: str) -> bool:
    """A fix that would change the superuser the tests connect as (cluster-wide, not undone with the copy)."""
    upper = fix.upper()
    return any(f"ROLE {q}" in upper or f"USER {q}" in upper for q in (superuser.upper(), f'"{superuser.upper()}"'))


# ---- building the cases --------------------------------------------------------------------------

RENAMES = {
    # kind: (catalog query giving [schema, table or None, name], the ALTER that renames one)
    "index": (
        """SELECT n.nspname, NULL, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('i', 'I') AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)""",
        "ALTER INDEX {schema}.{name} RENAME TO {new}",
    ),
    "constraint": (
        """SELECT n.nspname, c.relname, k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE k.conislocal AND k.coninhcount = 0""",
        "ALTER TABLE {schema}.{table} RENAME CONSTRAINT {name} TO {new}",
    ),
    "partition": (
        """SELECT n.nspname, NULL, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relispartition AND c.relkind IN ('r', 'p')""",
        "ALTER TABLE {schema}.{name} RENAME TO {new}",
    ),
    "policy": (
        """SELECT n.nspname, c.relname, p.polname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace""",
        "ALTER POLICY {name} ON {schema}.{table} RENAME TO {new}",
    ),
    "trigger": (
        """SELECT n.nspname, c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND t.tgparentid = 0""",
        "ALTER TRIGGER {name} ON {schema}.{table} RENAME TO {new}",
    ),
    "sequence": (
        """SELECT n.nspname, NULL, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind = 'S'""",
        "ALTER SEQUENCE {schema}.{name} RENAME TO {new}",
    ),
    "view": (
        """SELECT n.nspname, NULL, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind = 'v'""",
        "ALTER VIEW {schema}.{name} RENAME TO {new}",
    ),
    "materialized view": (
        """SELECT n.nspname, NULL, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind = 'm'""",
        "ALTER MATERIALIZED VIEW {schema}.{name} RENAME TO {new}",
    ),
}
# Only user objects: not the catalogs, not an extension's (pg_partman's own tables stay as they are).
USER_ONLY = """
    AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname NOT LIKE 'pg\\_%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = n.oid AND d.deptype = 'e')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
"""


def rename_to_hostile(dsn: str) -> int:
    """Rename every user object whose name does not drive detection; the number renamed."""
    done, n = 0, 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        for query, alter in RENAMES.values():
            for schema, table, name in conn.execute(query + USER_ONLY).fetchall():
                n += 1
                statement = sql.SQL(alter).format(
                    schema=sql.Identifier(schema),
                    table=sql.Identifier(table or ""),
                    name=sql.Identifier(name),
                    new=sql.Identifier(hostile(n)),
                )
                try:
                    conn.execute(statement)
                    done += 1
                except psycopg.Error:
                    pass  # an inherited or dependent name that cannot be renamed on its own
    return done


def copy_of(pg_server, source: str, name: str) -> None:
    with psycopg.connect(pg_server.dsn_for(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(source)))


def auto_conf(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf'"
        ).fetchall()
    return dict(rows)


def restore_auto_conf(dsn: str, before: dict[str, str]) -> None:
    """Undo what fixes wrote with ALTER SYSTEM (the test cluster is shared by every test of the session)."""
    after = auto_conf(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name, value in after.items():
            if name not in before:
                conn.execute(sql.SQL("ALTER SYSTEM RESET {}").format(sql.Identifier(name)))
            elif before[name] != value:
                old = sql.Literal(before[name])
                conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), old))


def run_every_fix(pg_server, source: str, report: Report) -> dict[str, object]:
    """Every fix of the report, one psql each, on a copy with ON_ERROR_STOP off and on another with it
    on. Returns what happened; asserts the canary lives after each fix and no shell command ran."""
    superuser = psycopg.conninfo.conninfo_to_dict(pg_server.dsn)["user"] or "postgres"
    fixes = [(f.code, f.obj.display, f.fix) for f in report.active if f.fix and f.fix.strip()]
    skipped = [code for code, _, fix in fixes if risky_for_the_cluster(fix, superuser)]
    fixes = [x for x in fixes if x[0] not in skipped]
    before = auto_conf(pg_server.dsn)
    ran = 0
    try:
        for stop in (False, True):
            copy = f"{source}_{int(stop)}"
            copy_of(pg_server, source, copy)
            dsn = pg_server.dsn_for(copy)
            try:
                for code, obj, fix in fixes:
                    psql(dsn, fix, stop=stop, options=TIMEOUTS, timeout=300)
                    ran += 1
                    assert canary_alive(dsn), f"{code} on {obj} dropped the canary (ON_ERROR_STOP={int(stop)}):\n{fix}"
                    assert not PWNED.exists(), f"{code} on {obj} ran a shell command through psql:\n{fix}"
            finally:
                with psycopg.connect(pg_server.dsn_for(), autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(copy)))
    finally:
        restore_auto_conf(pg_server.dsn, before)
    return {"fixes": len(fixes), "runs": ran, "skipped": skipped}


def lexically_inert(report: Report) -> list[str]:
    return [
        f"{f.code} on {f.obj.display}: {found}\n{f.fix}"
        for f in report.active
        if f.fix and (found := payload_outside_quotes(f.fix))
    ]


@pytest.fixture(autouse=True)
def no_marker() -> Iterator[None]:
    PWNED.unlink(missing_ok=True)
    yield
    assert not PWNED.exists(), "a fix ran a shell command through psql's \\!"


# ---- (a) every rule's bad case, renamed ----------------------------------------------------------


def cases() -> list[str]:
    out = []
    for code, rule in RULES.items():
        bad, not_run = example(rule, "Bad")
        if has_fix(rule) and bad.strip() and not not_run:
            out.append(code)
    return out


# Fixes that print a payload outside quotes today, in files other engineers are making safe (strict:
# the day the lexical check passes, the entry must go). The canary survives them all the same.
LEXICAL_NOT_YET: dict[str, str] = {}


@pytest.mark.slow
@pytest.mark.parametrize("code", cases())
def test_every_fix_spares_the_canary(pg_server, code: str, record_property) -> None:
    bad, _ = example(RULES[code], "Bad")
    name = f"pga_hostile_{code.lower()}"
    with scratch_database(pg_server, name) as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(bad)  # type: ignore[arg-type]
            conn.execute("ANALYZE")
        own_before = any(f.code == code and f.fix for f in audit(dsn).active)
        renamed = rename_to_hostile(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")
        report = audit(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:  # after the audit: it must not change the findings
            conn.execute("CREATE TABLE public.canary (id int PRIMARY KEY)")
        outcome = run_every_fix(pg_server, name, report)
    reached = any(f.code == code and f.fix for f in report.active)
    record_property("hostile", {"renamed": renamed, "reached": reached, "own_fix_before": own_before, **outcome})
    print(
        f"HOSTILE {code} renamed={renamed} own_fix_before={own_before} reached={reached} "
        f"fixes={outcome['fixes']} skipped={outcome['skipped']}"
    )
    inert = lexically_inert(report)
    if code in LEXICAL_NOT_YET:
        assert inert, f"{code}: its fixes are lexically inert now: remove it from LEXICAL_NOT_YET"
        pytest.xfail(LEXICAL_NOT_YET[code])
    assert not inert, inert


# ---- (b) a hand-written hostile schema, its whole fix script -------------------------------------


@pytest.fixture(scope="module")
def hostile_db(pg_server) -> Iterator[tuple[str, Report]]:
    ddl = (HERE / "hostile_schema.sql").read_text(encoding="utf-8")
    with scratch_database(pg_server, "pga_hostile_schema") as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(ddl)  # type: ignore[arg-type]
            conn.execute("ANALYZE")
        yield dsn, audit(dsn)


# The rules the hostile schema is built to raise, each with a fix.
HOSTILE_SCHEMA_RULES = {
    "IDX001", "IDX002", "IDX003", "CON002", "CON005", "CON012",
    "PAR001", "PAR003", "PAR006", "PAR008", "ISO001", "ISO002", "ISO013", "ISO014", "ISO015", "CON001",
}  # fmt: skip


def test_hostile_schema_raises_its_rules(hostile_db) -> None:
    _, report = hostile_db
    with_fix = {f.code for f in report.active if f.fix}
    assert with_fix >= HOSTILE_SCHEMA_RULES, f"missing: {sorted(HOSTILE_SCHEMA_RULES - with_fix)}"


def test_hostile_schema_fixes_are_lexically_inert(hostile_db) -> None:
    _, report = hostile_db
    assert not lexically_inert(report)
    script = fix_script(report)
    assert not payload_outside_quotes(script), payload_outside_quotes(script)


@pytest.mark.slow
@pytest.mark.parametrize("stop", [False, True], ids=["ON_ERROR_STOP=0", "ON_ERROR_STOP=1"])
def test_hostile_schema_fix_script_spares_the_canary(pg_server, hostile_db, stop: bool) -> None:
    _, report = hostile_db
    script = fix_script(report)
    if not stop:  # the worst case: the script's own \set turned off, every statement runs
        script = script.replace("\\set ON_ERROR_STOP on", "\\set ON_ERROR_STOP off")
    copy = f"pga_hostile_schema_{int(stop)}"
    copy_of(pg_server, "pga_hostile_schema", copy)
    before = auto_conf(pg_server.dsn)
    try:
        out = psql(pg_server.dsn_for(copy), script, stop=stop, options=TIMEOUTS, timeout=300)
        assert canary_alive(pg_server.dsn_for(copy)), f"the fix script dropped the canary:\n{out.stderr[-2000:]}"
    finally:
        restore_auto_conf(pg_server.dsn, before)
        with psycopg.connect(pg_server.dsn_for(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(copy)))


@pytest.mark.slow
def test_hostile_schema_every_fix_spares_the_canary(pg_server, hostile_db) -> None:
    _, report = hostile_db
    outcome = run_every_fix(pg_server, "pga_hostile_schema", report)
    assert outcome["runs"] > 0


# ---- the lexer the checks above rely on ----------------------------------------------------------


def test_the_lexer_sees_what_psql_sees() -> None:
    assert code_only("SELECT 1; -- DROP TABLE x\nSELECT 2").split() == ["SELECT", "1;", "SELECT", "2"]
    assert "DROP" in code_only('SELECT 1 -- "a\nDROP TABLE x; --"')  # a line break ends the comment
    assert "DROP" in code_only("SELECT 1 -- a\r DROP")
    assert "DROP" not in code_only("/* a /* nested */ DROP */ SELECT 1")
    assert "DROP" not in code_only("SELECT 'it''s; DROP', E'\\' DROP', $f$ DROP $f$, \"x\"\"; DROP\"")
    assert "DROP" not in code_only("SELECT U&\"a\\000a DROP\", U&'DROP'")
    assert "DROP" in code_only("SELECT 'a\\' DROP TABLE x; --'")  # a plain string has no backslash escape
    assert "DROP" in code_only("SELECT $1 DROP")  # a parameter, not a dollar quote
    assert payload_outside_quotes('ALTER TABLE "x\nDROP TABLE public.canary; --" ADD id int;') == []
    assert payload_outside_quotes('-- on "x\nDROP TABLE public.canary; --"') == ["DROP TABLE public.canary"]
