"""Baselines across a group that splits or forms: the same objects move between findings, so neither new nor
fixed; the members that are gone are fixed, one by one."""

from __future__ import annotations

from auditor.engine.report import Finding, Report, RuleStatus, fingerprint
from auditor.rules.registry import Obj
from auditor.runs import baseline

KEYS = [f"t{n}_parent_id_fkey on app.t{n}" for n in range(6)]


def single(n: int) -> Finding:
    obj = Obj("constraint", "app", f"t{n}", f"t{n}_parent_id_fkey")
    return Finding(
        "ISO013", "slug", "isolation", "medium", "title", obj, f"key {n}", {}, None, fingerprint("ISO013", obj)
    )


def group(members: list[int]) -> Finding:
    obj = Obj("schema", name="app")
    details = [{"object": KEYS[n], "message": f"key {n}"} for n in members]
    evidence = {"count": len(members), "objects": [d["object"] for d in details], "details": details}
    return Finding(
        "ISO013", "slug", "isolation", "medium", "title", obj, "keys", evidence, None, fingerprint("ISO013", obj)
    )


def report(findings: list[Finding]) -> Report:
    status = RuleStatus("ISO013", "slug", "isolation", "medium", "title", "findings", findings=len(findings))
    return Report("0", {"name": "db"}, findings, [status], {}, None, 1.0, {}, {})


def test_a_group_that_splits_is_known_and_its_gone_members_are_fixed() -> None:
    before = baseline.build(report([group([0, 1, 2, 3, 4, 5])]))
    assert [m["object"] for m in before["entries"][0]["members"]] == KEYS
    now = report([single(1), single(4)])  # four keys fixed; two left, below the grouping threshold
    changes = baseline.apply(now, before, "before")
    assert changes["new"] == [] and len(changes["known"]) == 2
    assert sorted(f["object"] for f in changes["fixed"]) == [KEYS[n] for n in (0, 2, 3, 5)]


def test_a_group_that_forms_is_known_and_the_rest_is_fixed_as_before() -> None:
    before = baseline.build(report([single(0), single(1), single(2)]))
    now = report([group([0, 1])])
    changes = baseline.apply(now, before, "before")
    assert changes["new"] == [] and len(changes["known"]) == 1
    assert [f["object"] for f in changes["fixed"]] == [KEYS[2]]


def test_a_new_object_is_still_new() -> None:
    before = baseline.build(report([single(0)]))
    changes = baseline.apply(report([single(0), single(3)]), before, "before")
    assert len(changes["new"]) == 1 and changes["fixed"] == []
