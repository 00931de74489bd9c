"""docs/rules/ is generated from the rules: a page per rule and an index, never stale."""

from __future__ import annotations

from auditor.output.rule_docs import pages
from auditor.rules import load_all

from paths import ROOT

DOCS = ROOT / "docs" / "rules"


def test_every_rule_has_its_page_and_the_pages_are_current() -> None:
    wanted = pages()
    assert set(wanted) == {f"{code}.md" for code in load_all()} | {"README.md"}
    stale = [name for name, text in wanted.items() if not (DOCS / name).exists() or (DOCS / name).read_text() != text]
    assert not stale, f"stale or missing: {stale[:10]}; run `python -m auditor.output.rule_docs`"
    extra = sorted(p.name for p in DOCS.glob("*.md") if p.name not in wanted)
    assert not extra, f"pages of rules that do not exist: {extra}"


def test_every_rule_has_its_own_file_named_by_code_and_slug() -> None:
    for code, rule in load_all().items():
        module = rule.func.__module__.rsplit(".", 1)[-1]
        assert module == f"{code.lower()}_{rule.slug.replace('-', '_')}", (code, rule.func.__module__)
        assert rule.func.__name__ == rule.slug.replace("-", "_"), (code, rule.func.__name__)


def test_a_page_says_what_the_rule_needs() -> None:
    page = pages()["IDX001.md"]
    for fact in ("Default severity", "Reads", "Fix SQL", "Privileges"):
        assert f"| {fact} |" in page
