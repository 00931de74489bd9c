"""Reference resolution as a DBA does it: <stem>s(id) first, 1:1 side tables followed to their parent, the
table's own key, cursors, external ids and provenance skipped or low, camelCase, prefixes, declared ones."""

from __future__ import annotations

import psycopg
import pytest

from auditor.analysis.references import CERTAIN, HIGH, LOW, MEDIUM, parse_column, parse_target, resolve, words
from auditor.base.errors import ConfigError
from auditor.engine.config import from_mapping

from support import snapshot_after

SCHEMA = """
CREATE SCHEMA r;
CREATE TABLE r.users (id bigint PRIMARY KEY);
CREATE TABLE r.projects (id bigint PRIMARY KEY);
-- a 1:1 side table keyed by project_id: never the target of project_id
CREATE TABLE r.project_policies (project_id bigint PRIMARY KEY REFERENCES r.projects);
-- a side table with no stem table: followed to its parent
CREATE TABLE r.principals (id bigint PRIMARY KEY);
CREATE TABLE r.member_details (member_ref_id bigint PRIMARY KEY REFERENCES r.principals);
CREATE TABLE r.terms_acceptances (user_id bigint PRIMARY KEY);  -- its own key: skipped
CREATE TABLE r.shop_items (id bigint PRIMARY KEY);
CREATE TABLE r.shop_orders (id bigint PRIMARY KEY, item_id bigint);
CREATE TABLE r."Order" (id text PRIMARY KEY);
CREATE TABLE r."OrderLine" (id text PRIMARY KEY, "orderId" text NOT NULL);
CREATE TABLE r.events (id bigint PRIMARY KEY);
CREATE TABLE r.audit_events (id bigint NOT NULL, created_at date NOT NULL, PRIMARY KEY (id, created_at));
CREATE TABLE r.work (id bigint PRIMARY KEY, project_id bigint, user_id bigint, last_event_id bigint,
                     external_project_id bigint, original_user_id bigint, audit_event_id bigint,
                     member_ref_id bigint, uuid uuid, worker_id bigint);
CREATE TABLE r.user_audit_log (id bigint PRIMARY KEY, user_id bigint, project_id bigint REFERENCES r.projects);
"""


def test_resolution(conn: psycopg.Connection) -> None:
    snap = snapshot_after(conn, SCHEMA)
    t = snap.table_by_name

    def ref(table: str, column: str):
        return resolve(snap, t[("r", table)], column)

    project = ref("work", "project_id")
    assert (project.target.name, project.target_columns, project.confidence) == ("projects", ("id",), HIGH)
    assert ref("work", "user_id").target.name == "users"  # not terms_acceptances (keyed by user_id)
    side = ref("work", "member_ref_id")
    assert (side.target.name, side.confidence) == ("principals", MEDIUM) and "side table" in side.reason
    assert ref("terms_acceptances", "user_id").target is None  # the table's own key
    assert ref("project_policies", "project_id").enforced_by == "foreign key project_policies_project_id_fkey"
    assert ref("project_policies", "project_id").confidence == CERTAIN
    assert ref("shop_orders", "item_id").target.name == "shop_items"  # the table's prefix
    assert ref("OrderLine", "orderId").target.name == "Order"  # camelCase and quoted
    assert ref("work", "last_event_id").target is None and "cursor" in ref("work", "last_event_id").reason
    assert ref("work", "external_project_id").target is None
    assert ref("work", "original_user_id").confidence == LOW  # provenance
    assert ref("work", "audit_event_id") is None  # names audit_events (composite key), never falls back to events
    assert ref("work", "uuid") is None and ref("work", "worker_id") is None
    assert ref("user_audit_log", "user_id").confidence == LOW  # a log outlives the users it mentions


def test_declared_references(conn: psycopg.Connection) -> None:
    snap = snapshot_after(conn, SCHEMA)
    snap.settings = from_mapping({"references": {"work.worker_id": "r.users(id)"}}, "test").thresholds
    declared = resolve(snap, snap.table_by_name[("r", "work")], "worker_id")
    assert (declared.target.name, declared.enforced_by, declared.confidence) == ("users", "declared", CERTAIN)


def test_declared_reference_syntax() -> None:
    assert parse_column("public.t.c") == ("public", "t", "c") and parse_column("t.c") == (None, "t", "c")
    assert parse_target("s.t(a, b)") == ("s", "t", ["a", "b"]) and parse_target("t") is None
    assert words("orderLineId") == ("order", "line", "id")
    with pytest.raises(ConfigError):
        from_mapping({"references": {"t.c": "not a target"}}, "test")
