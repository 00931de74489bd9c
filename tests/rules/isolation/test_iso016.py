"""ISO016 tenant-setting-default: role, database and ALTER ROLE ALL defaults, and fixes that run."""

from __future__ import annotations

from scratch import scratch_database
from support import snapshot_after


def test_iso016_setting_default(rls, run):
    found = run(rls, "ISO016")
    assert {f.obj.name for f in found} == {"iso_app"}
    assert found[0].fix == "ALTER ROLE iso_app RESET app.current_org;"


def test_iso016_database_default_and_other_settings(rls, conn, run):
    snap = snapshot_after(
        conn, "ALTER DATABASE postgres SET app.current_org = '2'; ALTER ROLE iso_member SET app.user_role = 'x';"
    )
    found = {f.obj.display: f for f in run(snap, "ISO016")}
    assert set(found) == {"iso_app", "postgres"}  # app.user_role is not a tenant setting
    assert found["postgres"].obj.kind == "database"
    assert found["postgres"].fix == "ALTER DATABASE postgres RESET app.current_org;"
    conn.execute(found["postgres"].fix)


def test_iso016_role_in_database_fix_runs(rls, conn, run):
    snap = snapshot_after(conn, "ALTER ROLE iso_member IN DATABASE postgres SET app.current_org = '3';")
    found = {f.obj.display: f for f in run(snap, "ISO016")}
    fix = found["iso_member"].fix
    assert fix == "ALTER ROLE iso_member IN DATABASE postgres RESET app.current_org;"
    conn.execute(fix)
    assert "iso_member" not in {f.obj.display for f in run(snapshot_after(conn, "SELECT 1"), "ISO016")}


def test_iso016_ignores_settings_for_other_databases(rls, conn, pg_server, run):
    with scratch_database(pg_server, "iso016_other"):
        try:
            snap = snapshot_after(
                conn,
                "ALTER ROLE iso_member IN DATABASE iso016_other SET app.current_org = '4';"
                "ALTER ROLE iso_etl IN DATABASE iso016_other SET app.current_org = '5';"
                "ALTER ROLE iso_etl IN DATABASE postgres SET app.current_org = '6';"
                "ALTER ROLE ALL IN DATABASE iso016_other SET app.current_org = '7';",
            )
        finally:
            conn.rollback()  # the settings name the scratch database: its DROP would wait on them
    found = {f.obj.display: f for f in run(snap, "ISO016")}
    assert set(found) == {"iso_app", "iso_etl"}  # iso_app: the fixture's ALTER ROLE ... SET for all databases
    assert found["iso_etl"].evidence["this_database_only"] is True
    assert found["iso_etl"].fix == "ALTER ROLE iso_etl IN DATABASE postgres RESET app.current_org;"
    assert found["iso_app"].evidence["this_database_only"] is False


def test_iso016_alter_role_all_is_reset_for_all_roles(rls, conn, run):
    snap = snapshot_after(conn, "ALTER ROLE ALL SET app.current_org = '8';")
    (f,) = [f for f in run(snap, "ISO016") if f.obj.kind == "database"]
    assert f.message.startswith("ALTER ROLE ALL gives every session a tenant by default (app.current_org)")
    assert f.fix == "ALTER ROLE ALL RESET app.current_org;"
    conn.execute(f.fix)
    assert not [f for f in run(snapshot_after(conn, "SELECT 1"), "ISO016") if f.obj.kind == "database"]
