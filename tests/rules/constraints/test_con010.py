"""CON010 column-type-drift on a real PostgreSQL: what fires, what must not, and fix SQL run as printed."""

from __future__ import annotations

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
    """
    found = {f.obj.name: f for f in hits(snapshot_after(conn, ddl), "CON010")}
    # id/name are generic, item_type means different things per table; timestamp(6) is timestamp
    assert set(found) == {"org_id", "owner_id", "units"}
    assert found["units"].fix.endswith("ALTER TABLE t.c ALTER COLUMN units TYPE numeric(30,10);")
    assert found["org_id"].obj.display == "t.org_id"
    assert found["org_id"].severity == "low" and found["owner_id"].severity == "medium"
    assert found["org_id"].fix.endswith("ALTER TABLE t.c ALTER COLUMN org_id TYPE bigint;")
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
