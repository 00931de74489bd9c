"""ISO027 multiple-permissive-policies: overlapping permissive policies per role and command."""

from __future__ import annotations

from support import hits, objects, snapshot_after

SCHEMA = """
CREATE ROLE iso027_app; CREATE ROLE iso027_admin;
CREATE TABLE docs (id bigint PRIMARY KEY, owner text, shared boolean);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON docs FOR SELECT TO iso027_app USING (owner = current_user);
CREATE POLICY everyone ON docs FOR ALL USING (shared) WITH CHECK (shared);
CREATE POLICY only_admin ON docs AS RESTRICTIVE FOR DELETE TO iso027_admin USING (true);
CREATE TABLE notes (id bigint PRIMARY KEY, owner text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY app_read ON notes FOR SELECT TO iso027_app USING (owner = current_user);
CREATE POLICY admin_read ON notes FOR SELECT TO iso027_admin USING (true);
CREATE POLICY app_write ON notes FOR INSERT TO iso027_app WITH CHECK (owner = current_user);
CREATE POLICY app_limit ON notes AS RESTRICTIVE FOR SELECT TO iso027_app USING (id > 0);
"""


def test_overlapping_permissive_policies(conn):
    found = hits(snapshot_after(conn, SCHEMA), "ISO027")
    # docs: own and everyone (FOR ALL, every role) both admit iso027_app's SELECTs; notes: no role has two
    assert objects(found) == {"public.docs"}
    (f,) = found
    assert f.evidence["overlaps"] == [{"policies": ["everyone", "own"], "for": ["iso027_app SELECT"]}]
    assert "own" in f.message and "everyone" in f.message and f.fix is None
