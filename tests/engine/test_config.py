"""Config: [tool.pg-auditor] or pg-auditor.toml; CLI beats file; unknown keys, codes and values are errors."""

from __future__ import annotations

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
