"""Partition bound parsing and pg_partman config parsing: pure functions, no database."""

from __future__ import annotations

import datetime as dt
import json

from auditor.analysis.partbounds import (
    MAXVALUE,
    MINVALUE,
    Step,
    add_months,
    hash_missing,
    name_for,
    naming_for,
    parse_bound,
    parse_value,
    range_layout,
    split_literals,
    step_between,
)
from auditor.analysis.partman import parse_interval, parse_row

from paths import FIXTURES

FIXTURES = FIXTURES / "partman"
UTC = dt.UTC


def test_parse_bound_forms():
    assert parse_bound("DEFAULT").kind == "default"
    b = parse_bound("FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')")
    assert (b.kind, b.lower, b.upper) == ("range", ("'2024-01-01 00:00:00+00'",), ("'2024-02-01 00:00:00+00'",))
    b = parse_bound("FOR VALUES FROM (MINVALUE) TO (100)")
    assert b.lower == (MINVALUE,) and b.upper == ("100",)
    b = parse_bound("FOR VALUES FROM (1, 'a) TO (b') TO (2, 'z')")  # a quoted ") TO (" inside a literal
    assert b.lower == ("1", "'a) TO (b'") and b.upper == ("2", "'z'")
    b = parse_bound("FOR VALUES IN ('it''s', 'a,b', NULL)")
    assert b.kind == "list" and b.values == ("'it''s'", "'a,b'", "NULL")
    b = parse_bound("FOR VALUES WITH (modulus 4, remainder 3)")
    assert (b.kind, b.modulus, b.remainder) == ("hash", 4, 3)
    assert parse_bound("something new in PostgreSQL 19").kind == "unknown"
    assert parse_bound(None).kind == "unknown"
    assert split_literals("") == ()


def test_parse_value_types_and_unknowns():
    assert parse_value("'2024-03-01 00:00:00+00'", "timestamptz") == dt.datetime(2024, 3, 1, tzinfo=UTC)
    assert parse_value("'2024-03-01 10:30:00'", "timestamp") == dt.datetime(2024, 3, 1, 10, 30, tzinfo=UTC)
    assert parse_value("'2024-03-01'", "date") == dt.datetime(2024, 3, 1, tzinfo=UTC)
    assert parse_value("'1000'", "int8") == 1000 and parse_value("-5", "int4") == -5
    assert parse_value(MAXVALUE, "int4") == MAXVALUE
    # Types we do not order, BC dates and infinity are "not evaluated", never an exception.
    assert parse_value("'abc'", "text") is None
    assert parse_value("'0044-03-15 BC'", "date") is None
    assert parse_value("'infinity'", "timestamptz") is None
    assert parse_value("'garbage'", "timestamptz") is None
    assert range_layout([("p", "FOR VALUES FROM ('a') TO ('b')")], "text") is None


def test_steps_and_layout():
    jan31 = dt.datetime(2024, 1, 31, tzinfo=UTC)
    assert add_months(jan31, 1) == dt.datetime(2024, 2, 29, tzinfo=UTC)
    assert step_between(dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 2, 1, tzinfo=UTC)) == Step(months=1)
    assert step_between(dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 1, 8, tzinfo=UTC)).label == "7 days"
    assert step_between(0, 1000) == Step(width=1000)
    parts = [
        ("m3", "FOR VALUES FROM ('2024-03-01') TO ('2024-04-01')"),
        ("m1", "FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')"),
        ("d", "DEFAULT"),
        ("old", "FOR VALUES FROM (MINVALUE) TO ('2024-01-01')"),
    ]
    layout = range_layout(parts, "date")
    assert [p.name for p in layout.parts] == ["old", "m1", "m3"]
    assert [(g[2], g[3]) for g in layout.gaps] == [("m1", "m3")]
    assert layout.covered_until == dt.datetime(2024, 4, 1, tzinfo=UTC)
    assert layout.step == Step(months=1)
    assert layout.covering(dt.datetime(2023, 5, 1, tzinfo=UTC)).name == "old"
    assert layout.covering(dt.datetime(2024, 2, 10, tzinfo=UTC)) is None


def test_hash_and_naming():
    assert hash_missing([(4, 0), (4, 1), (4, 3)]) == (4, [2])
    assert hash_missing([(2, 0), (4, 1), (4, 3)]) == (4, [])
    assert hash_missing([(2, 0), (4, 1)]) == (4, [3])
    lower = dt.datetime(2024, 5, 1, tzinfo=UTC)
    assert naming_for("events_2024_05", lower) == ("events_", "%Y_%m")
    assert naming_for("obs_p20240501", lower) == ("obs_p", "%Y%m%d")
    assert name_for("events", naming_for("events_2024_05", lower), dt.datetime(2024, 6, 1, tzinfo=UTC)) == (
        "events_2024_06"
    )
    assert name_for("events", None, lower) == "events_p20240501"
    assert naming_for("weird", lower) is None


def test_parse_interval():
    assert parse_interval("1 mon") == Step(months=1)
    assert parse_interval("3 mons") == Step(months=3)
    assert parse_interval("1 year") == Step(months=12)
    assert parse_interval("84 months") == Step(months=84)
    assert parse_interval("7 days") == Step(delta=dt.timedelta(days=7))
    assert parse_interval("01:00:00") == Step(delta=dt.timedelta(hours=1))
    assert parse_interval("1 day 02:00:00") == Step(delta=dt.timedelta(days=1, hours=2))
    assert parse_interval("P1M") is None and parse_interval("") is None and parse_interval("soon") is None


def test_partman_4_7_row():
    row = json.loads((FIXTURES / "part_config_4.7.2.json").read_text())[0]
    s = parse_row("part_config", row)
    assert (s.schema, s.table) == ("public", "observations")
    assert s.partition_type == "native" and s.premake == 3 and s.is_time_based and not s.is_id_based
    assert s.interval == Step(months=1)
    assert s.retention == "84 months" and s.retention_keep_table is True
    assert s.ignore_default_data is False and s.datetime_string == "YYYY_MM"
    assert s.maintenance_last_run is None and "maintenance_last_run" not in s.keys  # 4.x has no such column
    assert s.extra["optimize_trigger"] == 4 and "upsert" in s.extra  # unknown keys kept, not dropped
    assert s.maintained and not s.trigger_based and s.prefix == "_p"


def test_partman_5_1_row():
    row = json.loads((FIXTURES / "part_config_5.1.0.json").read_text())[0]
    s = parse_row("part_config", row)
    assert s.partition_type == "range" and s.datetime_string == "YYYYMMDD"
    assert s.ignore_default_data is True and s.default_table is True
    assert "maintenance_last_run" in s.keys and s.last_run() is None
    assert s.extra == {
        "constraint_cols": None,
        "date_trunc_interval": None,
        "jobmon": True,
        "optimize_constraint": 30,
        "retention_keep_publication": False,
        "sub_partition_set_full": False,
        "inherit_privileges": False,
    }


def test_partman_sub_row_and_later_keys():
    sub = parse_row(
        "part_config_sub",
        {"sub_parent": "app.Mixed.Case", "sub_partition_interval": "1 day", "sub_premake": "4", "sub_jobmon": True},
    )
    # pg_partman splits on the first dot, as split_part does; the rest is the table name.
    assert (sub.parent_table, sub.schema, sub.table) == ("app.Mixed.Case", "app", "Mixed.Case")
    assert sub.premake == 4 and sub.interval == Step(delta=dt.timedelta(days=1))
    later = parse_row(
        "part_config",
        {
            "parent_table": "public.ids",
            "partition_interval": "1000",
            "maintenance_last_run": "2026-01-01T00:00:00+00:00",
            "child_table_prefix": "_x",
            "time_encoder": None,
        },
    )
    assert later.is_id_based and later.interval == Step(width=1000) and later.prefix == "_x"
    assert later.last_run() == dt.datetime(2026, 1, 1, tzinfo=UTC)
