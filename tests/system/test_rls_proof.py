"""The isolation analyzer against row counts: what each user of a real Supabase app can read and write.

For each Supabase app of tests/realschemas (basejump: team membership through a SECURITY DEFINER helper;
chatbot_ui: per-user rows with opt-in sharing) this builds the app, logs in the way PostgREST does
(`authenticator`, SET ROLE anon/authenticated, `request.jwt.claims` per user: tests/realschemas/prove.py),
counts what each persona reads and tries each cross-tenant write, and compares with rls_expected.toml.
Then it asks the analyzer:

- on the unmodified app, no high or critical isolation finding the reviewer did not expect (the counts
  prove reads are isolated), `authenticated` an application role, TRUNCATE to anon/authenticated reported;
- for each planted leak (one block of planted_leaks.sql, on its own copy), the leak proven by the counts,
  and a NEW high or critical finding on the leaking table that the unmodified app lacks;
- every fix the report gives for those new findings, run on a fresh copy of the leaky app, closes the leak
  without cutting a member's own rows: the counts and writes are the unmodified app's again.
"""

from __future__ import annotations

import importlib.util
import os
import tomllib
from collections.abc import Iterator

import psycopg
import pytest

from auditor.analysis.tenancy import tenancy
from auditor.engine import Run
from auditor.engine.config import Config
from auditor.rules.registry import SEVERITY_RANK

from paths import TESTS
from scratch import snapshot_of

REAL = TESTS / "realschemas"
APPS = ("basejump", "chatbot_ui")
HIGH = SEVERITY_RANK["high"]
# The relations each planted leak opens (a finding on one of them is "on the right table").
LEAK_TABLES = {
    ("basejump", "using_true"): {"basejump.billing_subscriptions"},
    ("basejump", "rls_disabled"): {"basejump.invitations"},
    ("basejump", "or_null_branch"): {"basejump.invitations"},
    ("basejump", "definer_view"): {"public.team_invitations"},
    ("basejump", "user_metadata_policy"): {"basejump.accounts", "basejump.billing_customers"},
    ("basejump", "membership_with_check_true"): {"basejump.account_user"},
    ("chatbot_ui", "using_true"): {"public.profiles"},
    ("chatbot_ui", "rls_disabled"): {"public.models"},
    ("chatbot_ui", "or_null_branch"): {"public.prompts"},
    ("chatbot_ui", "definer_view"): {"public.chat_overview"},
    ("chatbot_ui", "user_metadata_policy"): {"public.chats", "public.messages"},
}


def _load_prove():
    spec = importlib.util.spec_from_file_location("prove", REAL / "prove.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


prove = _load_prove()


@pytest.fixture(scope="module")
def supabase(pg_server) -> Iterator[dict]:
    """prove.py's environment: the server's socket (authenticator logs in without a password there)."""
    cluster = getattr(pg_server, "cluster", None)
    if cluster is None or getattr(cluster, "base", None) is None:
        pytest.skip("needs the throwaway cluster's socket to log in as authenticator (PG_AUDITOR_TEST_DSN is set)")
    saved = {k: os.environ.get(k) for k in ("PGHOST", "PGPORT")}
    os.environ["PGHOST"], os.environ["PGPORT"] = str(cluster.base), str(cluster.port)
    with psycopg.connect(pg_server.dsn_for(), autocommit=True) as conn:
        before = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles")}
    built: list[str] = []
    try:
        yield {"built": built, "dsn": lambda db: f"host={cluster.base} port={cluster.port} user=postgres dbname={db}"}
    finally:
        with psycopg.connect(pg_server.dsn_for(), autocommit=True) as conn:
            for db in built:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
            for (role,) in conn.execute("SELECT rolname FROM pg_roles").fetchall():
                if role not in before:
                    conn.execute(f'DROP OWNED BY "{role}"')
                    conn.execute(f'DROP ROLE "{role}"')
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build(env: dict, app: str, leak: str | None = None, suffix: str = "") -> str:
    db = f"rlsproof_{app}" + (f"_{leak}" if leak else "") + suffix
    prove.build(app, db, leak)
    env["built"].append(db)
    return db


def proven(app: str, db: str, leak: str | None = None) -> dict:
    """The counts and write outcomes, read back through TOML as rls_expected.toml stores them."""
    block = prove.leak_blocks(app)[leak] if leak else None
    got = prove.prove(app, db, block)
    return tomllib.loads(prove.to_toml({"base": got}, app))


def expected_counts(app: str) -> dict:
    return tomllib.loads((REAL / app / "rls_expected.toml").read_text(encoding="utf-8"))


def findings(env: dict, db: str) -> list:
    snap = snapshot_of(env["dsn"](db))
    report = Run(Config()).finish(snap, {"source": "test"})
    return [f for f in report.active if f.area == "isolation"], snap


def high(found: list) -> dict[tuple[str, str], object]:
    return {(f.code, f.obj.display): f for f in found if SEVERITY_RANK[f.severity] >= HIGH}


def reviewed(app: str) -> set[tuple[str, str]]:
    doc = tomllib.loads((REAL / app / "expected.toml").read_text(encoding="utf-8"))
    return {(e["code"], o) for e in doc.get("expected", []) for o in e.get("objects") or [e["object"]]}


def relation_of(f) -> str | None:
    """The relation a finding is on (a policy, key or column: its table), None for roles and databases."""
    o = f.obj
    if not o.schema or o.kind in ("function", "schema", "role", "database"):
        return None
    return f"{o.schema}.{o.table or o.name}"


_BASE: dict[str, tuple[dict, dict, list]] = {}


def base_of(env: dict, app: str) -> tuple[dict, dict, list]:
    """(counts, high+ isolation findings, all isolation findings) of the unmodified app, built once."""
    if app not in _BASE:
        db = build(env, app)
        found, snap = findings(env, db)
        _BASE[app] = (proven(app, db), high(found), found)
        _BASE[app][1]["_snap"] = snap  # type: ignore[index]
    return _BASE[app]


@pytest.mark.slow
@pytest.mark.parametrize("app", APPS)
def test_unmodified_app_counts_and_verdict_agree(supabase, app):
    counts, found_high, found = base_of(supabase, app)
    want = expected_counts(app)
    assert counts["select"] == want["select"] and counts["writes"] == want["writes"]
    snap = found_high.pop("_snap")
    try:
        # no high or critical isolation finding the reviewer did not judge true: the counts show reads are isolated
        false = sorted(k for k in found_high if k not in reviewed(app))
        assert not false, f"{app}: high/critical isolation findings the row counts contradict: {false}"
        ten = tenancy(snap)
        assert "authenticated" in ten.app_roles and "anon" in ten.app_roles
        assert "service_role" in ten.bypass_roles  # BYPASSRLS, reached by SET ROLE: inventoried, not the app
        truncators = {f.obj.name for f in found if f.code == "ISO021" and "TRUNCATE" in f.message}
        assert {"anon", "authenticated"} <= truncators
    finally:
        found_high["_snap"] = snap


@pytest.mark.slow
@pytest.mark.parametrize("app", APPS)
def test_truncate_granted_to_the_api_roles_is_real(supabase, app):
    """What ISO021 reports, done: anon empties a table the report names, inside a rolled-back transaction."""
    _counts, _high, found = base_of(supabase, app)
    (finding,) = [f for f in found if f.code == "ISO021" and f.obj.name == "anon"]
    table = finding.evidence["truncate"][0]
    db = f"rlsproof_{app}"
    with psycopg.connect(dbname=db, user="authenticator") as conn:
        conn.execute("SET ROLE anon")
        conn.execute(f"TRUNCATE {table} CASCADE")  # no error: TRUNCATE does not look at the policies
        conn.rollback()


def _leaks() -> list:
    return [pytest.param(app, leak, id=f"{app}-{leak}") for app in APPS for leak in sorted(prove.leak_blocks(app))]


@pytest.mark.slow
@pytest.mark.parametrize(("app", "leak"), _leaks())
def test_planted_leak_is_proven_reported_and_fixed(supabase, app, leak):
    base_counts, base_high, _ = base_of(supabase, app)
    db = build(supabase, app, leak)
    counts = proven(app, db, leak)
    assert counts == {k: v for k, v in expected_counts(app)["leak"][leak].items()}
    personas = set(base_counts["select"])
    tables = set(base_counts["select"]["anon"])
    extra = prove.leak_blocks(app)[leak]["count"]  # relations the leak adds (a view), counted too
    opened = (
        any(_base_tables(counts["select"][p], tables) != base_counts["select"][p] for p in personas)
        or any(counts["writes"][p] != base_counts["writes"][p] for p in base_counts["writes"])
        or any(
            isinstance(counts["select"][p].get(rel), int) and counts["select"][p][rel] > 0
            for p in personas
            for rel in extra
        )
    )
    forged = set(counts["select"]) - personas  # a persona forging a claim (user_metadata)
    assert opened or forged, f"{leak}: the counts do not show the leak"

    found, _snap = findings(supabase, db)
    new = {k: f for k, f in high(found).items() if k not in base_high}
    on_table = [f for f in new.values() if relation_of(f) in LEAK_TABLES[(app, leak)]]
    assert on_table, f"{leak}: no new high/critical finding on {LEAK_TABLES[(app, leak)]}; new: {sorted(new)}"

    fixes = [f for f in new.values() if f.fix]
    assert fixes, f"{leak}: no fix offered"
    leak_tables = LEAK_TABLES[(app, leak)]
    for n, f in enumerate(fixes):  # each fix alone closes the leak on its table and cuts nobody's own rows
        after = _after_fix(supabase, app, leak, f"_fix{n}", [f.fix])
        rel = relation_of(f)
        only = {rel} if rel in tables and len(leak_tables) > 1 else tables
        _assert_closed(app, leak, after, base_counts, counts, only, f"{f.code}: {f.fix}")
    if len(fixes) > 1:  # all of them together close all of it
        after = _after_fix(supabase, app, leak, "_fixall", [f.fix for f in fixes])
        _assert_closed(app, leak, after, base_counts, counts, tables, "all fixes")


def _after_fix(env: dict, app: str, leak: str, suffix: str, fixes: list[str]) -> dict:
    """The counts on a fresh copy of the leaky app with the fixes run (as the owner, postgres)."""
    db = build(env, app, leak, suffix=suffix)
    with psycopg.connect(dbname=db, user="postgres", autocommit=True) as conn:
        for fix in fixes:
            conn.execute(fix)
    after = proven(app, db, leak)
    with psycopg.connect(dbname="postgres", user="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{db}"')
    env["built"].remove(db)
    return after


def _assert_closed(app: str, leak: str, after: dict, base: dict, leaked: dict, tables: set[str], what: str) -> None:
    personas = set(base["select"])
    for p in personas:
        assert _base_tables(after["select"][p], tables) == _base_tables(base["select"][p], tables), (what, p)
    for p in set(after["select"]) - personas:  # a forger is back to the user it is
        user = prove.leak_blocks(app)[leak]["as"][p][0]
        assert _base_tables(after["select"][p], tables) == _base_tables(base["select"][user], tables), (what, p)
    if tables == set(base["select"]["anon"]):
        assert after["writes"] == base["writes"], what
    for rel in prove.leak_blocks(app)[leak]["count"]:  # an added relation shows fewer rows, never more
        now = {p: after["select"][p][rel] for p in personas}
        was = {p: leaked["select"][p][rel] for p in personas}
        assert all(not isinstance(now[p], int) or now[p] <= was[p] for p in personas), (what, rel, now)
        assert any(not isinstance(now[p], int) or now[p] < was[p] for p in personas), (what, rel, now)


def _base_tables(counts: dict, tables: set[str]) -> dict:
    return {t: v for t, v in counts.items() if t in tables}


def test_leak_tables_cover_every_block():
    assert {(a, leak) for a in APPS for leak in prove.leak_blocks(a)} == set(LEAK_TABLES)
