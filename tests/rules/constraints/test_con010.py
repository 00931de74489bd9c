"""CON010 column-type-drift on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

from auditor.rules.constraints.con010_column_type_drift import castable

from support import hits, run_fix, snapshot_after


def test_column_type_drift(conn):
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.a (id bigint PRIMARY KEY, org_id bigint, name text, created_at timestamp, owner_id uuid,
                      units numeric(30,10), item_type text);
    CREATE TABLE t.b (id int PRIMARY KEY, org_id bigint, name varchar(10), created_at timestamp(6), owner_id uuid,
                      units numeric(30,10), item_type int);
    CREATE TABLE t.c (id int PRIMARY KEY, org_id integer, name char(3), created_at timestamp, owner_id bigint,
                      units numeric);
    CREATE TABLE t.owners (id uuid PRIMARY KEY);
    """
    found = {f.obj.name: f for f in hits(snapshot_after(conn, ddl), "CON010")}
    # id/name are generic, item_type means different things per table; timestamp(6) is timestamp
    assert set(found) == {"org_id", "owner_id", "units"}
    assert "ALTER TABLE t.c ALTER COLUMN units TYPE numeric(30,10);\nCOMMIT;" in found["units"].fix
    assert found["org_id"].obj.display == "t.org_id"
    assert found["org_id"].severity == "low" and found["owner_id"].severity == "medium"
    assert "ALTER TABLE t.c ALTER COLUMN org_id TYPE bigint;\nCOMMIT;" in found["org_id"].fix
    # owner_id references owners(id uuid): c's bigint is aligned on the key's type
    assert "ALTER TABLE t.c ALTER COLUMN owner_id TYPE uuid;" in found["owner_id"].fix
    run_fix(conn, found["org_id"].fix)
    assert "org_id" not in {f.obj.name for f in hits(snapshot_after(conn, "SELECT 1"), "CON010")}


def test_time_zone_drift_is_low_and_unrelated_ids_are_left_out(conn):
    found = {
        f.obj.name: f
        for f in hits(
            snapshot_after(
                conn,
                """
                CREATE SCHEMA d;
                CREATE TABLE d.a (id bigint PRIMARY KEY, created_at timestamptz, worker_id uuid);
                CREATE TABLE d.b (id bigint PRIMARY KEY, created_at timestamp, worker_id bigint);
                CREATE TABLE d.c (id bigint PRIMARY KEY, created_at timestamptz);
                CREATE TABLE d.uuid_workers (id uuid PRIMARY KEY);
                CREATE TABLE d.int_workers (id bigint PRIMARY KEY);
                ALTER TABLE d.a ADD FOREIGN KEY (worker_id) REFERENCES d.uuid_workers;
                ALTER TABLE d.b ADD FOREIGN KEY (worker_id) REFERENCES d.int_workers;
                """,
            ),
            "CON010",
        )
        if f.obj.schema == "d"
    }
    assert found["created_at"].severity == "low"  # CON008 reports the missing time zone
    assert "worker_id" not in found  # each references its own worker table, with that table's key type


def test_the_name_on_the_table_it_points_at_is_that_tables_own_attribute(conn):
    """chatbot-ui: models.model_id is the provider's model name (text); model_workspaces.model_id is a uuid
    foreign key to models(id). One name, two meanings: not drift."""
    ddl = """
    CREATE SCHEMA t;
    CREATE TABLE t.models (id uuid PRIMARY KEY, model_id text NOT NULL);
    CREATE TABLE t.model_workspaces (model_id uuid REFERENCES t.models, workspace_id uuid,
                                     PRIMARY KEY (model_id, workspace_id));
    CREATE TABLE t.model_usage (id bigint PRIMARY KEY, model_id uuid REFERENCES t.models);
    """
    assert not [f for f in hits(snapshot_after(conn, ddl), "CON010") if f.obj.name == "model_id"]
    # still drift when a referencing column disagrees with the key it references
    drift = ddl + "CREATE TABLE t.model_logs (id bigint PRIMARY KEY, model_id text);"
    assert [
        f for f in hits(snapshot_after(conn, "DROP SCHEMA t CASCADE;" + drift), "CON010") if f.obj.name == "model_id"
    ]


def test_only_columns_that_are_one_thing_are_aligned(conn):
    """commit_id designates no table (a SHA here, a pipeline id there): only the name is shared. The
    correct variant: ids that reference one table, one of them stored as text, are drift (medium), and the
    fix aligns on the referenced key's type even when no type is the majority."""
    ddl = """
    CREATE SCHEMA o;
    CREATE TABLE o.notes (id bigint PRIMARY KEY, commit_id varchar(40));
    CREATE TABLE o.builds (id bigint PRIMARY KEY, commit_id bigint);
    CREATE TABLE o.agents (id bigint PRIMARY KEY);
    CREATE TABLE o.envs (id bigint PRIMARY KEY, agent_id bigint REFERENCES o.agents);
    CREATE TABLE o.reads (id bigint PRIMARY KEY, agent_id text);
    """
    found = {f.obj.name: f for f in hits(snapshot_after(conn, ddl), "CON010") if f.obj.schema == "o"}
    assert set(found) == {"agent_id"}
    assert found["agent_id"].severity == "medium" and found["agent_id"].evidence["references"] == "o.agents(id)"
    assert "ALTER TABLE o.reads ALTER COLUMN agent_id TYPE bigint;" in found["agent_id"].fix


def test_fix_is_one_transaction_and_keeps_the_views(conn):
    """Every ALTER of the finding in one transaction; the views reading the tables (and a view on a view)
    dropped and recreated as they were: options, owner, grants, comment."""
    ddl = """
    CREATE ROLE con010_owner; CREATE ROLE con010_reader;
    CREATE SCHEMA v;
    CREATE TABLE v.orgs (id bigint PRIMARY KEY);
    CREATE TABLE v.a (id bigint PRIMARY KEY, org_id integer REFERENCES v.orgs);
    CREATE TABLE v.b (id bigint PRIMARY KEY, org_id integer REFERENCES v.orgs);
    CREATE TABLE v.c (id bigint PRIMARY KEY, org_id bigint REFERENCES v.orgs);
    CREATE VIEW v.a_orgs WITH (security_barrier = true) AS SELECT id, org_id FROM v.a WHERE org_id > 0
        WITH LOCAL CHECK OPTION;
    CREATE VIEW v.a_orgs_count AS SELECT org_id, count(*) AS n FROM v.a_orgs GROUP BY org_id;
    ALTER VIEW v.a_orgs OWNER TO con010_owner;
    GRANT SELECT ON v.a_orgs_count TO con010_reader;
    COMMENT ON VIEW v.a_orgs IS 'the a''s with an org';
    """
    (f,) = [f for f in hits(snapshot_after(conn, ddl), "CON010") if f.obj.schema == "v"]
    assert f.fix.count("BEGIN;") == 1 and f.fix.rstrip().endswith("COMMIT;")
    assert f.fix.index("DROP VIEW v.a_orgs_count;") < f.fix.index("DROP VIEW v.a_orgs;")
    run_fix(conn, f.fix)
    after = snapshot_after(conn, "SELECT 1")
    assert not [x for x in hits(after, "CON010") if x.obj.schema == "v"]
    views = {v.name: v for v in after.views if v.schema == "v"}
    assert set(views) == {"a_orgs", "a_orgs_count"}
    assert views["a_orgs"].owner == "con010_owner" and views["a_orgs"].comment == "the a's with an org"
    assert sorted(views["a_orgs"].options or []) == ["check_option=local", "security_barrier=true"]
    assert any(item.startswith("con010_reader=r/") for item in views["a_orgs_count"].acl or [])
    types = {c.name: c.type for c in after.columns_of[after.table_by_name[("v", "a")].oid]}
    assert types["org_id"] == "bigint"


def test_fix_with_a_materialized_view_is_left_to_the_dba(conn):
    ddl = """
    CREATE SCHEMA m;
    CREATE TABLE m.orgs (id bigint PRIMARY KEY);
    CREATE TABLE m.a (id bigint PRIMARY KEY, org_id integer REFERENCES m.orgs);
    CREATE TABLE m.b (id bigint PRIMARY KEY, org_id bigint REFERENCES m.orgs);
    CREATE MATERIALIZED VIEW m.per_org AS SELECT org_id, count(*) FROM m.a GROUP BY org_id;
    """
    (f,) = [f for f in hits(snapshot_after(conn, ddl), "CON010") if f.obj.schema == "m"]
    assert "cannot be rebuilt here" in f.fix and "m.per_org" in f.fix and "DROP VIEW" not in f.fix
    # the ALTER would fail on the materialized view and stop a fix script: printed for the DBA, not run
    assert all(line.startswith("--") for line in f.fix.splitlines())


def test_sibling_tables_name_their_own_parents(conn):
    """ops_jobs.worker_id names ops_workers and ops_jobs_local.worker_id names ops_workers_local (a table's
    siblings share its affixes): two things, not drift, even without foreign keys. The correct variant: both
    jobs tables in one family point at one workers table, and their types differ: drift."""
    ddl = """
    CREATE SCHEMA sib;
    CREATE TABLE sib.ops_workers (id uuid PRIMARY KEY);
    CREATE TABLE sib.ops_workers_local (id bigint PRIMARY KEY);
    CREATE TABLE sib.ops_jobs (id bigint PRIMARY KEY, worker_id uuid);
    CREATE TABLE sib.ops_jobs_local (id bigint PRIMARY KEY, worker_id bigint);
    """
    assert not [f for f in hits(snapshot_after(conn, ddl), "CON010") if f.obj.schema == "sib"]
    drift = snapshot_after(conn, "DROP TABLE sib.ops_workers_local;")
    (f,) = [f for f in hits(drift, "CON010") if f.obj.schema == "sib"]
    assert f.severity == "medium" and "ALTER TABLE sib.ops_jobs_local ALTER COLUMN worker_id TYPE uuid;" in f.fix


def test_no_automatic_conversion_leaves_the_fix_to_the_dba(conn):
    # org_id references a uuid key here and is a bigint there: ALTER ... TYPE uuid would fail (no cast), so
    # the fix is printed for the DBA to complete with a USING, never run as it is.
    snap = snapshot_after(
        conn,
        "CREATE TABLE orgs (id uuid PRIMARY KEY);"
        "CREATE TABLE a (id int PRIMARY KEY, org_id uuid REFERENCES orgs);"
        "CREATE TABLE b (id int PRIMARY KEY, org_id uuid REFERENCES orgs);"
        "CREATE TABLE c (id int PRIMARY KEY, org_id bigint);",
    )
    (f,) = hits(snap, "CON010")
    assert "no automatic conversion from bigint to uuid" in f.fix
    assert all(line.startswith("--") for line in f.fix.splitlines())
    assert castable("int4", "int8") and castable("uuid", "text") and castable("timestamp", "timestamptz")
    assert not castable("int8", "uuid") and not castable("text", "int4") and not castable("time", "timestamp")


def test_columns_that_cannot_change_type_in_place_leave_the_fix_to_the_dba(conn):
    # GitLab: audit_events.created_at is its partition key, merge_request_metrics.merged_at is compared with a
    # timestamp constant in an index predicate; either ALTER fails, so the change is printed, not run.
    snap = snapshot_after(
        conn,
        "CREATE SCHEMA pk;"
        "CREATE TABLE pk.a (id int PRIMARY KEY, done_at timestamptz); CREATE TABLE pk.b (id int PRIMARY KEY,"
        " done_at timestamptz); CREATE TABLE pk.c (id int PRIMARY KEY, done_at timestamptz);"
        "CREATE TABLE pk.ev (id int, done_at timestamp NOT NULL) PARTITION BY RANGE (done_at);"
        "CREATE TABLE pk.m (id int PRIMARY KEY, done_at timestamp);"
        "CREATE INDEX ON pk.m (id) WHERE done_at >= '2023-01-01'::timestamp;",
    )
    (f,) = [f for f in hits(snap, "CON010") if f.obj.schema == "pk"]
    assert "cannot change type in place" in f.fix and "pk.ev.done_at" in f.fix and "pk.m.done_at" in f.fix
    assert all(line.startswith("--") for line in f.fix.splitlines())
    run_fix(conn, f.fix)
