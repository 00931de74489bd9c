"""The one ACL reader: aclitem text as PostgreSQL prints it, quoted names included."""

from __future__ import annotations

import psycopg

from auditor.analysis.acl import letters_by_grantee, parse_item, table_privileges


def test_items_as_postgresql_prints_them(conn: psycopg.Connection) -> None:
    conn.execute('CREATE ROLE "we=ird""/x"; CREATE ROLE plain; CREATE TABLE t (id int)')
    conn.execute('GRANT SELECT, INSERT ON t TO "we=ird""/x" WITH GRANT OPTION; GRANT SELECT ON t TO plain, PUBLIC')
    (acl,) = conn.execute("SELECT relacl::text[] FROM pg_class WHERE oid = 't'::regclass").fetchone()
    items = {parse_item(a).grantee: parse_item(a) for a in acl}
    assert set(items['we=ird"/x'].privileges) == {"a", "r"}
    assert items["plain"].privileges == "r" and items[""].privileges == "r"
    owner = conn.execute("SELECT current_user").fetchone()[0]
    assert items[owner].grantor == owner
    by_grantee = letters_by_grantee(acl)
    assert by_grantee["public"] == "r" and set(by_grantee['we=ird"/x']) == {"a", "r"}
    named = table_privileges(acl, owner)
    assert named[owner] == {"ALL"} and named["PUBLIC"] == {"SELECT"} and named['we=ird"/x'] == {"SELECT", "INSERT"}


def test_a_null_acl_is_the_owners_defaults() -> None:
    assert table_privileges(None, "app") == {"app": {"ALL"}}
    assert letters_by_grantee(None) == {}
