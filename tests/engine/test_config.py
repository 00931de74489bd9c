"""Config: [tool.pg-auditor] or pg-auditor.toml; CLI beats file; unknown keys, codes and values are errors."""

from __future__ import annotations

import re

import pytest

from auditor.base.errors import ConfigError
from auditor.engine.config import apply_cli, from_mapping, load, object_names
from auditor.rules.registry import Obj


def test_pyproject_section_is_found_from_a_subdirectory(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pg-auditor]\nselect = ["IDX"]\nfail-on = "medium"\ntenant-columns = ["org_id"]\n'
        '[tool.pg-auditor.severity]\nIDX001 = "low"\n'
        '[[tool.pg-auditor.ignore-objects]]\nrule = "IDX001"\nobject = "archive.*"\nreason = "read-only archive"\n'
    )
    (tmp_path / "sub").mkdir()
    cfg = load(None, tmp_path / "sub")
    assert cfg.source == "pyproject.toml"
    assert cfg.select == ["IDX"] and cfg.fail_on == "medium" and cfg.severity == {"IDX001": "low"}
    assert cfg.thresholds["tenant_columns"] == ["org_id"]
    assert cfg.ignore_objects[0].reason == "read-only archive"


def test_own_file_wins_over_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.pg-auditor]\nfail-on = "low"\n')
    (tmp_path / "pg-auditor.toml").write_text('fail-on = "critical"\n')
    assert load(None, tmp_path).fail_on == "critical"


def test_cli_beats_file():
    cfg = from_mapping({"select": ["IDX"], "fail-on": "low", "thresholds": {"large-table-rows": 5}}, "f.toml")
    apply_cli(cfg, select=["IDX001"], fail_on="critical", thresholds=["large_table_rows=10"])
    assert cfg.select == ["IDX001"] and cfg.fail_on == "critical" and cfg.thresholds["large_table_rows"] == 10


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"slect": ["IDX"]}, "unknown key 'slect'"),
        ({"select": ["IDX999"]}, "unknown rule code or prefix 'IDX999'"),
        ({"ignore": ["XYZ"]}, "unknown rule code or prefix 'XYZ'"),
        ({"severity": {"IDX001": "urgent"}}, "severity must be one of"),
        ({"severity": {"IDX999": "low"}}, "unknown rule code 'IDX999'"),
        ({"fail-on": "sometimes"}, "fail-on must be one of"),
        ({"thresholds": {"no_such": 1}}, "unknown threshold 'no_such'"),
        ({"thresholds": {"large_table_rows": "many"}}, "must be like"),
        ({"ignore-objects": [{"rule": "IDX001", "object": "public.*"}]}, "needs a reason"),
        ({"ignore-objects": [{"rule": "IDX001", "object": "x", "reason": "r", "until": "2027"}]}, "takes rule"),
        ({"tenant-columns": "org_id"}, "tenant-columns must be a non-empty list"),
        ({"app-roles": []}, "app-roles must be a non-empty list"),
        ({"thresholds": {"table_classes": {"public.orders": "tennant"}}}, "'public.orders' = 'tennant' is not a class"),
        ({"thresholds": {"table_classes": {"orders": "Tenant"}}}, "'orders' = 'Tenant' is not a class"),
        ({"thresholds": {"table_classes": {"orders": 1}}}, "'orders' = 1 is not a class"),
        ({"thresholds": {"table_classes": {"orders": ["tenant"]}}}, "is not a class"),
        ({"thresholds": {"table_classes": {"app.*": "reference"}}}, "'app.*' is a pattern"),
        ({"thresholds": {"table_classes": {"": "reference"}}}, "'' is not a table"),
        ({"thresholds": {"table_classes": {" app.orders": "tenant"}}}, "' app.orders' is not a table"),
        ({"thresholds": {"table_classes": {"app.": "tenant"}}}, "'app.' is not a table"),
        ({"thresholds": {"table_classes": ["app.orders"]}}, "threshold 'table_classes' must be like"),
    ],
)
def test_invalid_config_is_an_error(data, message):
    with pytest.raises(ConfigError, match=message):
        from_mapping(data, "pg-auditor.toml")


def test_table_classes_error_names_file_key_and_value():
    with pytest.raises(ConfigError) as err:
        from_mapping({"thresholds": {"table-classes": {"app.orders": "tenant", "app.c": "ref"}}}, "pg-auditor.toml")
    assert str(err.value) == (
        "pg-auditor.toml: threshold 'table-classes': 'app.c' = 'ref' is not a class "
        "(one of root, tenant, indirect, identity, reference, framework, unknown)"
    )
    with pytest.raises(ConfigError, match=r"^--set: threshold 'table_classes': 'x' = 'nope' is not a class"):
        apply_cli(from_mapping({}, "x"), thresholds=['table_classes={x = "nope"}'])


def test_valid_table_classes_are_kept():
    classes = {"app.orders": "tenant", "countries": "reference", "Sales EU.Orders": "unknown", "a.b.c": "framework"}
    cfg = from_mapping({"thresholds": {"table_classes": classes}}, "pg-auditor.toml")
    assert cfg.thresholds["table_classes"] == classes
    apply_cli(cfg, thresholds=['table_classes={"app.orders" = "root"}'])
    assert cfg.thresholds["table_classes"] == {"app.orders": "root"}


def test_cli_set_rejects_unknown_threshold():
    with pytest.raises(ConfigError, match="unknown threshold"):
        apply_cli(from_mapping({}, "x"), thresholds=["nope=1"])


def test_object_globs_see_raw_names():
    names = object_names(Obj("constraint", "Sales EU", "Orders", "orders_fk"))
    assert {"Sales EU.Orders", "Sales EU.Orders.orders_fk", "orders_fk"} <= set(names)
    assert "Sales EU.Orders" in object_names(Obj("table", "Sales EU", None, "Orders"))


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("index-bloat-min-bytes", "50MB", 50 * 1024**2),
        ("index_bloat_min_bytes", "1GB", 1024**3),
        ("heap-bloat-min-bytes", "512kB", 512 * 1024),
        ("heap-bloat-min-bytes", "1.5GB", 1536 * 1024**2),
        ("heap-bloat-min-bytes", "50mb", 50 * 1024**2),  # PostgreSQL's case, forgiven
        ("partition-max-bytes", "2TB", 2 * 1024**4),
        ("index-min-bytes", 4096, 4096),  # a number is bytes
        ("idle-in-transaction-seconds", "5min", 300),
        ("long-transaction-seconds", "2h", 7200),
        ("unused-index-days", "2d", 2),
        ("unused-index-days", "36h", 1.5),
        ("partman-stale-hours", "3d", 72),
        ("large-table-rows", 5e6, 5_000_000),  # a whole float is the whole number
        ("cache-hit-ratio", 0.95, 0.95),
    ],
)
def test_sizes_and_durations_in_postgresql_units(key, value, expected):
    cfg = from_mapping({"thresholds": {key: value}}, "pg-auditor.toml")
    got = cfg.thresholds[key.replace("-", "_")]
    assert got == expected and type(got) is type(expected)


def test_set_takes_units_too():
    cfg = apply_cli(from_mapping({}, "x"), thresholds=["index-bloat-min-bytes=100MB", "unused_index_days=7d"])
    assert cfg.thresholds["index_bloat_min_bytes"] == 100 * 1024**2 and cfg.thresholds["unused_index_days"] == 7


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"index-bloat-min-bytes": "50 megs"}, "must be a size like 50MB (B, kB, MB, GB, TB) or a number of bytes"),
        ({"index-bloat-min-bytes": "0.5B"}, "must be a size like 50MB"),
        ({"idle-in-transaction-seconds": "soon"}, "must be a duration like 5min, 2h or 7d"),
        ({"idle-in-transaction-seconds": "300"}, "must be a duration like 5min"),  # text without a unit
        ({"large-table-rows": -1}, "threshold 'large-table-rows' must be at least 0, not -1"),
        ({"large-table-rows": 1.5}, "must be a whole number, not 1.5"),
        ({"large-table-rows": "5MB"}, "must be like 1000000, not "),  # a size is no row count
        ({"cache-hit-ratio": 99}, "must be a share between 0 and 1, not 99"),
        ({"wraparound-share": -0.1}, "must be a share between 0 and 1"),
        ({"partial-index-null-fraction": 1.5}, "must be a share between 0 and 1"),
        ({"heap-bloat-min-percent": 130}, "must be a percent between 0 and 100, not 130"),
        ({"partition-skew-ratio": 0.5}, "must be a ratio of at least 1, not 0.5"),
        ({"unused-index-days": True}, "must be like 35, not True"),
        ({"tenant-columns": "org_id"}, 'must be like ["tenant_id", '),
        ({"heap-bloat-min-bytes": [1]}, 'must be like "5MB", not [1]'),
    ],
)
def test_every_threshold_value_is_checked(thresholds, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        from_mapping({"thresholds": thresholds}, "pg-auditor.toml")


def test_one_key_style_and_one_key_once():
    snake = from_mapping({"fail_on": "low", "allow_partial": True, "tenant_columns": ["org_id"]}, "f.toml")
    kebab = from_mapping({"fail-on": "low", "allow-partial": True, "tenant-columns": ["org_id"]}, "f.toml")
    assert (snake.fail_on, snake.allow_partial, snake.thresholds) == (
        kebab.fail_on,
        kebab.allow_partial,
        kebab.thresholds,
    )
    with pytest.raises(ConfigError, match=re.escape("f.toml: 'fail-on' and 'fail_on' are the same key: give it once")):
        from_mapping({"fail-on": "low", "fail_on": "high"}, "f.toml")
    with pytest.raises(
        ConfigError, match=re.escape("f.toml: thresholds: 'large-table-rows' and 'large_table_rows' are the same")
    ):
        from_mapping({"thresholds": {"large-table-rows": 1, "large_table_rows": 2}}, "f.toml")
    with pytest.raises(ConfigError, match=re.escape("f.toml: history: 'keep-runs' and 'keep_runs' are the same key")):
        from_mapping({"history": {"keep-runs": 3, "keep_runs": 4}}, "f.toml")
    from auditor.runs.nightly import history_settings

    assert history_settings(from_mapping({"history": {"url": "h.sqlite", "keep_runs": 3}}, "f.toml")).keep_runs == 3


def test_the_threshold_listing_is_what_the_file_takes(tmp_path):
    """Every line of `rules --thresholds` pasted into the config file is read back as the default."""
    import tomllib

    from auditor.base.thresholds import THRESHOLDS
    from auditor.engine.config import canon, example
    from auditor.rules import load_all

    load_all()
    text = "\n".join(f"{canon(k)} = {example(k)}" for k in sorted(THRESHOLDS))
    cfg = from_mapping({"thresholds": tomllib.loads(text)}, "pg-auditor.toml")
    assert cfg.thresholds == {k: t.default for k, t in THRESHOLDS.items()}
    assert 'heap-bloat-min-bytes = "5MB"' in text.splitlines()
