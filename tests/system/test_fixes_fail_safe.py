"""Forced failure: a fix that replaces or drops something keeps the old object when a step before the drop fails.

Each case builds the rule's bad case (its documented Bad example, or its own DDL), audits it, then on a copy
(CREATE DATABASE ... TEMPLATE) makes the creating step fail, in the way the case names: rows the new key or
foreign key rejects, an object holding the new name, the kept object gone since the audit, or a lock held
by another session with a short lock_timeout. The fix is run with psql under ON_ERROR_STOP=1 and again,
on a fresh copy, under ON_ERROR_STOP=0 (psql goes on past every error). Both times the fix must fail, and
every constraint, index, policy and column the copy held before must still be there, unchanged (a valid
index still valid, a validated key still validated), with every table's rows intact. Objects the failed
fix leaves behind (an invalid index, a NOT VALID key) are allowed: they drop nothing.

Cases whose fix is not guarded yet are strict xfails with what happens (issue 16).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql

from auditor.engine import Run
from auditor.engine.config import Config
from auditor.output.rule_docs import example
from auditor.rules import load_all

from scratch import psql, scratch_database, snapshot_of

RULES = load_all()


@dataclass(frozen=True)
class Case:
    code: str
    failure: str  # how the creating step is made to fail, in words
    sabotage: str = ""  # SQL run on the copy after the audit, before the fix
    lock: str = ""  # a table another session holds ACCESS EXCLUSIVE while the fix runs (lock_timeout 300ms)
    ddl: str = ""  # the bad case, when not the rule's documented Bad example
    alternative: str = ""  # run the commented alternative after this line of the fix, uncommented
    before_15: bool = False  # audit as if the server were PostgreSQL 14 (fixes that differ before 15)
    only: str = ""  # run only the fixes holding this text (the finding the sabotage is about)
    expect: str = ""  # in psql's errors under ON_ERROR_STOP=0: the guard's own message, where there is one
    not_yet: str = ""  # strict xfail: what happens today

    @property
    def id(self) -> str:
        return f"{self.code}-{self.failure.split(':')[0]}"


NEW_INDEX = "pg-auditor: the new unique index is missing or not valid"
KEPT_INDEX = "pg-auditor: the index kept in its place is missing, not valid or no longer covers it"
NEW_FK = "pg-auditor: the new foreign key is missing or not validated"
LONG_FK = "t" * 63  # a 63-byte name: `<name>_tenant` cut to 63 bytes is the name itself

CASES = [
    Case(
        "ISO014",
        "name held: an index on (org_id) already has the new index's name; IF NOT EXISTS skips, the check sees "
        "the wrong keys",
        sabotage="CREATE INDEX customers_org_id_email_key ON customers (org_id);",
        expect=NEW_INDEX,
    ),
    Case(
        "ISO014",
        "referenced since the audit: a foreign key now uses the old unique key",
        sabotage="CREATE TABLE refs (id bigint PRIMARY KEY, email text REFERENCES customers (email));",
        expect="pg-auditor: a primary key, replica identity or foreign key uses the old index",
    ),
    Case(
        "ISO014",
        "lock: CREATE INDEX CONCURRENTLY times out",
        lock="customers",
        expect=NEW_INDEX,
    ),
    Case(
        "ISO014",
        "camelCase tenant: the key is taken by a conflicting name",
        ddl="CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);"
        "CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        ' "orgId" bigint NOT NULL REFERENCES orgs, email text UNIQUE);'
        'CREATE TABLE invoices (id bigint PRIMARY KEY, "orgId" bigint NOT NULL REFERENCES orgs, total numeric);'
        "CREATE POLICY tenant ON customers USING (\"orgId\" = NULLIF(current_setting('app.org', true), '')::bigint);"
        "CREATE POLICY tenant ON invoices USING (\"orgId\" = NULLIF(current_setting('app.org', true), '')::bigint);"
        "ALTER TABLE customers ENABLE ROW LEVEL SECURITY; ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;",
        sabotage="CREATE INDEX customers_orgid_email_key ON customers (email);"
        'CREATE INDEX "customers_orgId_email_key" ON customers (email);',
        expect=NEW_INDEX,
    ),
    Case(
        "ISO014",
        "rows, before 15: a row without a tenant, so SET NOT NULL fails and the swap must not run",
        ddl="CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);"
        "CREATE TABLE tags (id bigint PRIMARY KEY, org_id bigint REFERENCES orgs, code text UNIQUE);"
        "CREATE TABLE notes (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs, body text);"
        "CREATE POLICY tenant ON tags USING (org_id = NULLIF(current_setting('app.org', true), '')::bigint);"
        "CREATE POLICY tenant ON notes USING (org_id = NULLIF(current_setting('app.org', true), '')::bigint);"
        "ALTER TABLE tags ENABLE ROW LEVEL SECURITY; ALTER TABLE notes ENABLE ROW LEVEL SECURITY;",
        before_15=True,
        only="tags",
        sabotage="INSERT INTO tags VALUES (1, NULL, 'a');",
        expect=NEW_INDEX,
    ),
    Case(
        "ISO013",
        "rows: a task points at another tenant's project, so VALIDATE of the composite key fails",
        sabotage="INSERT INTO projects VALUES (1, 1, 'p'); INSERT INTO tasks VALUES (1, 2, 1, 't');",
        expect=NEW_FK,
    ),
    Case(
        "ISO013",
        "63-byte name: the old key's name is 63 bytes, and a task points at another tenant's project",
        ddl="CREATE TABLE projects (id bigint PRIMARY KEY, org_id bigint NOT NULL, name text);"
        "CREATE TABLE tasks (id bigint PRIMARY KEY, org_id bigint NOT NULL, project_id bigint,"
        f" title text, CONSTRAINT {LONG_FK} FOREIGN KEY (project_id) REFERENCES projects);",
        sabotage="INSERT INTO projects VALUES (1, 1, 'p'); INSERT INTO tasks VALUES (1, 2, 1, 't');",
        expect=NEW_FK,
    ),
    Case(
        "ISO013",
        "lock: the child table is locked, so ADD CONSTRAINT (and the index) time out",
        lock="tasks",
        expect=NEW_FK,
    ),
    Case(
        "ISO006",
        "name held: a policy already has the new policy's name, so CREATE POLICY fails inside the block",
        sabotage="CREATE POLICY api_insert_tenant ON invoices FOR SELECT USING (false);",
        expect="already exists",
    ),
    Case(
        "ISO015",
        "rows: an invoice without a tenant, so VALIDATE and SET NOT NULL fail",
        sabotage="INSERT INTO orgs VALUES (1, 'o'); INSERT INTO invoices VALUES (1, NULL, 1);",
        expect="pg-auditor: the column is not NOT NULL yet",
    ),
    Case("CON004", "lock: DROP NOT NULL times out", lock="tasks", expect="lock timeout"),
    Case(
        "CON004",
        "lock, the CASCADE alternative: ADD CONSTRAINT times out, so the old key must stay",
        lock="tasks",
        alternative="-- or, instead, delete them with it",
        expect=NEW_FK,
    ),
    Case(
        "CON012",
        "rows: a task with one NULL key column, so VALIDATE of the MATCH FULL key fails",
        sabotage="INSERT INTO projects VALUES (1, 1); INSERT INTO tasks VALUES (1, NULL, 5);",
        expect=NEW_FK,
    ),
    Case(
        "CON013",
        "gone since the audit: the key to keep was dropped, so the duplicate is the only one left",
        sabotage="ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;",
        expect="pg-auditor: the kept foreign key is missing or not validated",
    ),
    Case(
        "CON015",
        "rows: two rows equal but for a NULL category, so the NULLS NOT DISTINCT index fails to build (left invalid)",
        sabotage="INSERT INTO integration_customers VALUES (1, 1, NULL, 'x'), (2, 1, NULL, 'x');",
        expect=NEW_INDEX,
    ),
    Case(
        "CON016",
        "rows: a value the boolean cast rejects, after DROP DEFAULT in the same block",
        sabotage="INSERT INTO users VALUES (1000, 'm@example.com', 'M');",
        expect="invalid input syntax for type boolean",
    ),
    Case("CON017", "lock: SET NOT NULL times out before the CHECK is dropped", lock="notes", expect="lock timeout"),
    Case(
        "CON014",
        "rows: a json value jsonb rejects, in the statement that also changes the money column",
        sabotage="INSERT INTO payments (id, raw) VALUES (1, '\"\\u0000\"'); ",
        expect="unsupported Unicode escape sequence",
    ),
    Case(
        "IDX002",
        "gone since the audit: the unique constraint to keep was dropped, so the duplicate is the only one left",
        sabotage="ALTER TABLE accounts DROP CONSTRAINT accounts_email_key;",
        only="accounts_email_key2",
        expect=KEPT_INDEX,
    ),
    Case(
        "IDX003",
        "gone since the audit: the wider index to keep was dropped, so the redundant one is the only one left",
        sabotage="DROP INDEX orders_customer_created_idx;",
        expect=KEPT_INDEX,
    ),
    Case(
        "IDX008",
        "name held: an object has the GIN index's name, so CREATE INDEX fails and the btree must stay",
        sabotage="CREATE TABLE documents_tags_gin_idx ();",
        expect=KEPT_INDEX,
    ),
    Case(
        "IDX010",
        "name held: an object has the partial index's name, so CREATE INDEX fails and the full one must stay",
        sabotage="CREATE TABLE subscriptions_canceled_at_partial_idx ();",
        expect=KEPT_INDEX,
    ),
]


def fixes_of(dsn: str, code: str, before_15: bool = False) -> list[str]:
    snap = snapshot_of(dsn)
    if before_15:
        snap = dataclasses.replace(snap, server=dataclasses.replace(snap.server, version_num=140000))
    report = Run(Config()).finish(snap, {"source": "test"})
    return [f.fix for f in report.active if f.code == code and f.fix]


def state(dsn: str) -> dict[str, object]:
    """What a failed fix must leave as it was: each constraint, index, policy and column of the public
    schema with its properties, and each table's rows."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        out: dict[str, object] = {}
        for row in conn.execute(
            "SELECT conrelid::regclass::text, conname, contype, convalidated, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
        ):
            out[f"constraint {row[0]}.{row[1]}"] = row[2:]
        for row in conn.execute(
            "SELECT c.relname, i.indisvalid, i.indisready, pg_get_indexdef(i.indexrelid)"
            " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'public'::regnamespace"
        ):
            out[f"index {row[0]}"] = row[1:]
        for row in conn.execute(
            "SELECT polrelid::regclass::text, polname, polcmd, pg_get_expr(polqual, polrelid),"
            " pg_get_expr(polwithcheck, polrelid) FROM pg_policy"
        ):
            out[f"policy {row[0]}.{row[1]}"] = row[2:]
        tables = [
            r
            for (r,) in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')"
            )
        ]
        for t in tables:
            for row in conn.execute(
                "SELECT attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(d.adbin, d.adrelid)"
                " FROM pg_attribute a LEFT JOIN pg_attrdef d ON (d.adrelid, d.adnum) = (a.attrelid, a.attnum)"
                " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
                (sql.Identifier(t).as_string(conn),),
            ):
                out[f"column {t}.{row[0]}"] = row[1:]
            query = sql.SQL("SELECT count(*), md5(string_agg(x::text, ',' ORDER BY x::text)) FROM {} x")
            out[f"rows {t}"] = conn.execute(query.format(sql.Identifier(t))).fetchone()
        return out


@contextmanager
def copy_of(pg_server, template: str, name: str) -> Iterator[str]:
    with scratch_database(pg_server, name) as dsn:
        with psycopg.connect(pg_server.dsn_for(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
            )
        yield dsn


@contextmanager
def held(dsn: str, table: str) -> Iterator[None]:
    """Another session holding an ACCESS EXCLUSIVE lock on the table until the block ends."""
    if not table:
        yield
        return
    with psycopg.connect(dsn) as conn:
        conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(table)))
        try:
            yield
        finally:
            conn.rollback()


def uncommented(fix: str, after: str) -> str:
    """The alternative printed as comments below the line starting with `after`, as a DBA who chose it runs it."""
    lines = fix.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(after))
    return "\n".join(line.removeprefix("-- ") for line in lines[start + 1 :])


def params() -> list:
    return [
        pytest.param(c, id=c.id, marks=[pytest.mark.xfail(reason=c.not_yet, strict=True)] if c.not_yet else [])
        for c in CASES
    ]


@pytest.mark.slow
@pytest.mark.parametrize("case", params())
def test_a_failed_step_drops_nothing(pg_server, case: Case) -> None:
    ddl = case.ddl or example(RULES[case.code], "Bad")[0]
    name = f"pga_failsafe_{case.code.lower()}"
    with scratch_database(pg_server, name) as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(ddl)
            conn.execute("ANALYZE")
        fixes = [f for f in fixes_of(dsn, case.code, case.before_15) if case.only in f]
        assert fixes, f"{case.code}: no fix to run on its bad case"
        if case.alternative:
            fixes = [uncommented(f, case.alternative) for f in fixes]
        for stop in (1, 0):
            with copy_of(pg_server, name, f"{name}_copy{stop}") as copy:
                if case.sabotage:
                    with psycopg.connect(copy, autocommit=True) as conn:
                        conn.execute(case.sabotage)
                before = state(copy)
                with held(copy, case.lock):
                    options = "-c lock_timeout=300ms" if case.lock else None
                    runs = [psql(copy, fix, stop=bool(stop), options=options, timeout=120) for fix in fixes]
                errors = "\n".join(r.stderr for r in runs)
                after = state(copy)
                lost = {k: v for k, v in before.items() if after.get(k) != v}
                assert not lost, (
                    f"{case.code} (ON_ERROR_STOP={stop}), {case.failure}: changed or dropped "
                    f"{ {k: (v, after.get(k)) for k, v in lost.items()} }\n{errors[-800:]}"
                )
                # the case must have made a step fail, or it proves nothing
                assert "ERROR" in errors, f"{case.code} (ON_ERROR_STOP={stop}): the step did not fail: {case.failure}"
                if stop == 1:
                    assert any(r.returncode != 0 for r in runs)
                elif case.expect:
                    assert case.expect in errors, f"{case.code} (ON_ERROR_STOP=0): {errors[-800:]}"


@pytest.mark.slow
def test_iso013_63_byte_key_name_is_replaced(pg_server) -> None:
    """The composite key of a 63-byte foreign key gets a name of its own: ADD works, VALIDATE validates the
    new key, and the old one goes (before, `<name>_tenant` cut to 63 bytes was the old name: ADD failed,
    VALIDATE validated the old key, DROP dropped it). Its referencing-side index comes with it (no IDX001)."""
    ddl = next(c.ddl for c in CASES if c.code == "ISO013" and c.ddl)
    with scratch_database(pg_server, "pga_failsafe_iso013_long", ddl) as dsn:
        (fix,) = fixes_of(dsn, "ISO013")
        out = psql(dsn, fix, timeout=120)
        assert out.returncode == 0, out.stderr
        with psycopg.connect(dsn, autocommit=True) as conn:
            keys = conn.execute(
                "SELECT conname, convalidated, array_length(conkey, 1) FROM pg_constraint"
                " WHERE conrelid = 'tasks'::regclass AND contype = 'f'"
            ).fetchall()
        assert len(keys) == 1 and keys[0][0] != LONG_FK and keys[0][1:] == (True, 2)
        assert not fixes_of(dsn, "ISO013") and not fixes_of(dsn, "IDX001")


@pytest.mark.slow
def test_iso014_camel_case_tenant_is_quoted(pg_server) -> None:
    """A camelCase tenant column is quoted in the new key: the fix runs whole and the key is per tenant."""
    ddl = next(c.ddl for c in CASES if c.code == "ISO014" and c.ddl)
    with scratch_database(pg_server, "pga_failsafe_iso014_camel", ddl) as dsn:
        (fix,) = fixes_of(dsn, "ISO014")
        assert '"orgId"' in fix
        out = psql(dsn, fix, timeout=120)
        assert out.returncode == 0, out.stderr
        assert not fixes_of(dsn, "ISO014")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("INSERT INTO orgs VALUES (1, 'a'), (2, 'b')")
            conn.execute("""INSERT INTO customers ("orgId", email) VALUES (1, 'x@example.com'), (2, 'x@example.com')""")


HOSTILE_TABLE = 'cu"st; DROP TABLE canary; --\n$guard$ \\x'
HOSTILE_COLUMN = "e'm$$ail\n--"


@pytest.mark.slow
def test_guards_hold_hostile_names(pg_server) -> None:
    """The DO blocks carry names as literals and identifiers: a name holding quotes, a newline, `--`, `$$` and
    the block's own dollar tag runs as a name, the guard still checks, and the canary table survives."""
    t = sql.Identifier(HOSTILE_TABLE).as_string()
    c = sql.Identifier(HOSTILE_COLUMN).as_string()
    ddl = (
        "CREATE TABLE canary (id int); CREATE TABLE orgs (id bigint PRIMARY KEY);"
        f"CREATE TABLE {t} (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs, {c} text UNIQUE);"
        "CREATE TABLE notes (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs);"
        f"CREATE POLICY tenant ON {t} USING (org_id = NULLIF(current_setting('app.org', true), '')::bigint);"
        "CREATE POLICY tenant ON notes USING (org_id = NULLIF(current_setting('app.org', true), '')::bigint);"
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; ALTER TABLE notes ENABLE ROW LEVEL SECURITY;"
    )
    with scratch_database(pg_server, "pga_failsafe_hostile", ddl) as dsn:
        (fix,) = fixes_of(dsn, "ISO014")
        assert "$guard_$" in fix  # the table's name holds $guard$: the block takes another tag
        out = psql(dsn, fix, timeout=120)
        assert out.returncode == 0, out.stderr
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert conn.execute("SELECT to_regclass('canary') IS NOT NULL").fetchone() == (True,)
            keys = conn.execute(
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass AND indisunique"
                " AND NOT indisprimary",
                (t,),
            ).fetchall()
        assert len(keys) == 1 and "org_id" in keys[0][0]  # the per-tenant key replaced the global one
        assert not fixes_of(dsn, "ISO014")
