"""docs/rules/<CODE>.md for every rule and docs/rules/README.md as their index, made from the rules.

A rule's page is its metadata (area, default severity, what it reads and needs, its thresholds,
whether its findings carry fix SQL) above its docstring. The pages are generated, never edited:
`python -m auditor.output.rule_docs [DIR]` writes them, and a test fails when they are stale.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
import types
from pathlib import Path

from auditor.base.thresholds import Threshold
from auditor.catalog.collect import GRANT_HINTS, LIMITED_HINTS
from auditor.engine.config import canon
from auditor.engine.config import example as written_as
from auditor.rules import load_all
from auditor.rules.registry import Rule

DOCS_DIR = Path("docs") / "rules"
OURS = ("auditor.rules", "auditor.analysis")  # whose functions may read thresholds
GENERATED = "<!-- Generated from the rule's docstring by `python -m auditor.output.rule_docs`: do not edit. -->"


SECTIONS = ("Why it matters", "What it checks", "Bad", "Good", "Fix", "False positives")
HEADING = re.compile(r"^## (.+)$", re.M)
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.S)
NOT_RUN = re.compile(r"\(not run: (.+)\)\s*$")


def sections(doc: str) -> dict[str, str]:
    """Heading -> body of each `## ` section of a docstring."""
    parts = HEADING.split(doc)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def example(rule: Rule, kind: str) -> tuple[str, str | None]:
    """The SQL of the Bad or Good section and, when it is shown but not run, why."""
    for heading, body in sections(rule.doc).items():
        if heading.split(" (")[0] == kind:
            not_run = NOT_RUN.search(heading)
            blocks = SQL_BLOCK.findall(body)
            return "\n".join(blocks), not_run.group(1) if not_run else None
    return "", None


def reached(rule: Rule) -> list[types.FunctionType]:
    """The rule's function and every function of ours it calls, directly or not."""
    out: list[types.FunctionType] = []
    seen: set[int] = set()
    stack: list[types.FunctionType] = [rule.func]
    while stack:
        func = stack.pop()
        if id(func) in seen:
            continue
        seen.add(id(func))
        out.append(func)
        for name in _names(func.__code__):
            value = func.__globals__.get(name)
            if isinstance(value, types.FunctionType) and value.__module__.startswith(OURS):
                stack.append(value)
    return out


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def thresholds_of(rule: Rule) -> list[Threshold]:
    """The thresholds the rule reads: named in its function or in any of our functions it calls."""
    found: dict[str, Threshold] = {}
    for func in reached(rule):
        for name in _names(func.__code__):
            value = func.__globals__.get(name)
            if isinstance(value, Threshold):
                found[value.key] = value
    return [found[k] for k in sorted(found)]


def has_fix(rule: Rule) -> bool:
    """Whether the rule's findings can carry fix SQL: it, or a function of ours it calls, gives a Hit a fix."""
    return any(_gives_fix(func) for func in reached(rule))


def _gives_fix(func: types.FunctionType) -> bool:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):  # SyntaxError: a lambda's source is a fragment of its line
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Hit":
            for kw in node.keywords:
                if kw.arg == "fix" and not (isinstance(kw.value, ast.Constant) and kw.value.value is None):
                    return True
    return False


def privileges(rule: Rule) -> str:
    """What the auditing role needs beyond CONNECT for this rule to run in full."""
    hints = []
    for section in rule.requires:
        hint = GRANT_HINTS.get(section) or LIMITED_HINTS.get(section)
        if hint and hint not in hints:
            hints.append(hint)
    if not hints:
        return "none beyond CONNECT: the catalogs it reads are readable by every role"
    return "; ".join(f"`{h.format(role='auditor', partman='partman')}`" for h in hints)


def rule_page(rule: Rule) -> str:
    facts = [
        ("Area", rule.area),
        ("Default severity", rule.severity),
        ("Finding about", f"a {rule.subject}" + (f" (population: `{rule.population}`)" if rule.population else "")),
        ("Reads", ", ".join(f"`{s}`" for s in rule.requires) or "the catalog sections every rule reads"),
        ("Server", f"PostgreSQL {rule.min_version // 10000}+" if rule.min_version else "PostgreSQL 13+"),
        ("Fix SQL", "yes: each finding carries the SQL that fixes it" if has_fix(rule) else "no: a finding to judge"),
        ("Privileges", privileges(rule)),
    ]
    limits = thresholds_of(rule)
    body = rule.doc.split("\n", 1)[1].strip() if "\n" in rule.doc else ""
    lines = [GENERATED, "", f"# {rule.code}: {rule.title}", "", f"`{rule.slug}`", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts]
    if limits:
        lines += ["", "## Thresholds", "", "Set in `[tool.pg-auditor.thresholds]` or with `--set KEY=VALUE`.", ""]
        lines += [f"- `{canon(t.key)}` (default `{written_as(t.key)}`): {t.help}" for t in limits]
    lines += ["", body, ""]
    return "\n".join(lines)


NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def index_page(rules: dict[str, Rule]) -> str:
    areas = len({r.area for r in rules.values()})
    in_areas = f"in {NUMBER_WORDS.get(areas, str(areas))} area{'s' if areas != 1 else ''}"
    lines = [GENERATED, "", "# Rules", "", f"{len(rules)} rules {in_areas}. Each page says why the rule matters,",
             "what it checks, a bad and a good example, how to fix it, and its false positives.", "",
             "| Code | Title | Area | Default severity | Fix SQL |", "|---|---|---|---|---|"]  # fmt: skip
    for code, r in rules.items():
        lines.append(f"| [{code}]({code}.md) | {r.title} | {r.area} | {r.severity} | {'yes' if has_fix(r) else ''} |")
    return "\n".join(lines) + "\n"


def pages() -> dict[str, str]:
    """Every generated file, by name."""
    rules = load_all()
    out = {f"{code}.md": rule_page(r) for code, r in rules.items()}
    out["README.md"] = index_page(rules)
    return out


def write(directory: Path = DOCS_DIR) -> list[Path]:
    """Write the pages and remove pages of rules that no longer exist."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for stale in directory.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    paths = []
    for name, text in wanted.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS_DIR):
        print(p)
