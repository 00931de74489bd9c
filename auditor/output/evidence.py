"""A finding's evidence and fix as a person reads them: short sentences, lists and small tables, never JSON.

Rules put what they measured in `evidence` (numbers, names, lists, small mappings, and for a grouped
finding one entry per member). This module turns it into items once, then into Markdown or HTML. Names
are shown as code, prose as text; long lists are folded in the HTML and, in the Markdown, cut to their
first entries with the count of the rest said in words (the HTML has them all). The fix is whole: a
grouped finding whose `fix` holds its first members only is shown with every member's fix.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from auditor.engine.report import Finding
from auditor.output.text import MdText, md_code, md_escape, md_ident, plural, strip_controls, tidy_plurals

INLINE_MAX = 8  # entries of a list or mapping shown on the label's line (or as a short list under it)
INLINE_CHARS = 240  # past this, a list is folded even when it has few entries
FIX_OPEN_LINES = 15  # a longer fix is folded (Markdown <details>, HTML <details>)
# Reports written before grouped findings kept every member's fix cut `fix` to the first members (all of them in the
# evidence's `fixes`): a stored report read back is shown whole too.
_GROUP_CUT = re.compile(r"^-- \.\.\. and \d+ more like these\b.*$", re.M)
# Evidence keys a grouped finding carries that the report shows in another form.
_GROUP_KEYS = ("objects", "fixes", "fix_lines", "count")
_NAME = re.compile(r"""^[\w$."-]+(\([^()]*\))?$""")
# Evidence keys whose text values are SQL (definitions, expressions, types): shown as code.
SQL_KEYS = frozenset(
    [
        "definition",
        "covered_by",
        "redundant",
        "duplicate",
        "kept",
        "partition_key",
        "key",
        "using",
        "with_check",
        "branches",
        "index",
        "config",
        "type",
        "references",
        "predicate",
        "expression",
    ]
)
# A grouped finding's per-member entries, each a sentence naming its object.
LABELS = {"details": "objects"}


@dataclass(frozen=True)
class Piece:
    """A run of text shown as a name (code) or as prose."""

    text: str
    code: bool = False


@dataclass
class Item:
    """One line of evidence: a label and either an inline value or rows (a list, or a mapping's entries)."""

    label: str
    value: list[Piece] = field(default_factory=list)
    rows: list[tuple[Piece | None, list[Piece]]] = field(default_factory=list)

    @property
    def long(self) -> bool:
        """Folded (HTML) or cut (Markdown): too many rows, or too much text, for the label's line."""
        chars = sum(len(p.text) for k, v in self.rows for p in ([k] if k else []) + v)
        return len(self.rows) > INLINE_MAX or chars > INLINE_CHARS


def _name_like(text: str) -> bool:
    """A value shown as code: one name (schema.table, a column, `events_2026_01`, a function(args))."""
    return bool(_NAME.match(text)) and not text.replace(".", "").replace(",", "").isdigit()


def _scalar(value: Any, sql: bool = False) -> list[Piece]:
    if isinstance(value, bool):
        return [Piece("yes" if value else "no")]
    if isinstance(value, int):
        return [Piece(f"{value:,}" if abs(value) >= 10000 else str(value))]
    if isinstance(value, float):
        return [Piece(f"{value:g}")]
    text = str(value)
    return [Piece(text, code=sql or _name_like(text))]


def _sentence(value: Any, sql: bool = False) -> list[Piece]:
    """One entry of a list or mapping as words: a nested mapping as `key: value; key: value`."""
    if isinstance(value, dict):
        if isinstance(value.get("message"), str):
            return [Piece(value["message"])]
        out: list[Piece] = []
        for k in sorted(value):
            v = value[k]
            if v is None or v == [] or v == {}:
                continue
            if out:
                out.append(Piece("; "))
            out += [Piece(f"{k.replace('_', ' ')}: "), *_sentence(v, k in SQL_KEYS)]
        return out
    if isinstance(value, list | tuple):
        out = []
        for i, v in enumerate(value):
            if i:
                out.append(Piece(", "))
            out += _sentence(v, sql)
        return out or [Piece("none")]
    return _scalar(value, sql)


def items(f: Finding) -> list[Item]:
    """The finding's evidence as labelled items, in key order; empty values and grouped duplicates left out."""
    evidence = f.evidence or {}
    skip = set(_GROUP_KEYS) if isinstance(evidence.get("details"), list) else {"fixes", "fix_lines"}
    out = []
    for key in sorted(evidence):
        value = evidence[key]
        if key in skip or value is None or value == [] or value == {}:
            continue
        label, sql = LABELS.get(key, key.replace("_", " ")), key in SQL_KEYS
        if isinstance(value, dict):
            rows = [(Piece(str(k), _name_like(str(k))), _sentence(v, sql)) for k, v in value.items()]
            out.append(Item(label, rows=rows))
        elif isinstance(value, list | tuple):
            out.append(Item(label, rows=[(None, _sentence(v, sql)) for v in value]))
        else:
            out.append(Item(label, value=_scalar(value, sql)))
    return out


def whole_fix(f: Finding) -> str:
    """The fix as a DBA runs it, whole: for a grouped finding cut to its first members, every member's fix."""
    fix = (f.fix or "").strip()
    fixes = (f.evidence or {}).get("fixes")
    if fix and _GROUP_CUT.search(fix) and isinstance(fixes, list) and all(isinstance(x, str) for x in fixes):
        return "\n".join(x.strip() for x in fixes)
    return fix


def member_fixes(f: Finding) -> list[str]:
    """A grouped finding's fix, one entry per member that has one, in the members' order: `fix` cut where
    evidence.fix_lines says (reports written before it: evidence.fixes). [] for a finding of one object."""
    evidence = f.evidence or {}
    counts = evidence.get("fix_lines")
    if isinstance(counts, list) and f.fix and all(isinstance(n, int) and n > 0 for n in counts):
        lines = f.fix.split("\n")
        if sum(counts) == len(lines):
            out, start = [], 0
            for n in counts:
                out.append("\n".join(lines[start : start + n]))
                start += n
            return out
    fixes = evidence.get("fixes")
    return [x for x in fixes if isinstance(x, str)] if isinstance(fixes, list) else []


def fix_lines(f: Finding) -> int:
    return len(whole_fix(f).splitlines())


def _plain(pieces: list[Piece]) -> str:
    return "".join(p.text if p.code else tidy_plurals(p.text) for p in pieces)


def evidence_text(f: Finding) -> list[str]:
    """The evidence as plain text lines (JUnit, a terminal): `label: value`, a short list on its line, a
    long one or a mapping as `- entry` lines under its label. Never a Python repr."""
    lines = []
    for item in items(f):
        if not item.rows:
            lines.append(f"{item.label}: {_plain(item.value)}")
        elif not item.long and all(k is None for k, _ in item.rows):
            lines.append(f"{item.label}: {', '.join(_plain(v) for _, v in item.rows)}")
        else:
            lines.append(f"{item.label}:")
            lines += [f"  - {_plain([k])}: {_plain(v)}" if k else f"  - {_plain(v)}" for k, v in item.rows]
    return lines


# ---- Markdown ---------------------------------------------------------------------------------


def _md(pieces: list[Piece]) -> str:
    return "".join(md_ident(p.text) if p.code else md_escape(tidy_plurals(p.text)) for p in pieces)


def _md_row(key: Piece | None, value: list[Piece]) -> str:
    return f"{_md([key])}: {_md(value)}" if key else _md(value)


def evidence_md(f: Finding, list_max: int) -> MdText:
    """Bullets: short values on the label's line, lists and mappings as sub-bullets, the first list_max
    entries of a long one and the count of the rest in words."""
    lines = []
    for it in items(f):
        if not it.rows:
            lines.append(f"- {md_escape(it.label)}: {_md(it.value)}")
            continue
        if not it.long and all(k is None for k, _ in it.rows):
            lines.append(f"- {md_escape(it.label)}: " + ", ".join(_md(v) for _, v in it.rows))
            continue
        lines.append(f"- {md_escape(it.label)}{f' ({len(it.rows):,})' if it.long else ''}:")
        lines += [f"  - {_md_row(k, v)}" for k, v in it.rows[:list_max]]
        if len(it.rows) > list_max:
            lines.append(f"  - and {len(it.rows) - list_max:,} more, all listed in the HTML report")
    return MdText("\n".join(lines))


def fix_md(f: Finding, fold_over: int = FIX_OPEN_LINES) -> MdText:
    """The whole fix in a ```sql fence (a longer fence if the fix holds backticks); past fold_over lines,
    folded in <details>, which GitHub and GitLab render. Nothing inside a fence is read as HTML, so a
    `</details>` in a fix cannot close the fold."""
    fix = whole_fix(f)
    block = md_code(fix)
    n = len(fix.splitlines())
    if n <= fold_over:
        return block
    return MdText(f"<details><summary>Fix ({plural(n, 'line')})</summary>\n\n{block}\n\n</details>")


# ---- HTML -------------------------------------------------------------------------------------


def _html(pieces: list[Piece]) -> str:
    out = []
    for p in pieces:
        text = html.escape(strip_controls(p.text), quote=False)
        out.append(f"<code>{text}</code>" if p.code else tidy_plurals(text))
    return "".join(out)


def evidence_html(f: Finding) -> Markup:
    """A definition list; a long list or mapping folded in a <details> that says how many entries it holds."""
    rows = []
    for it in items(f):
        label = html.escape(it.label, quote=False)
        if not it.rows:
            rows.append(f"<dt>{label}</dt><dd>{_html(it.value)}</dd>")
            continue
        if not it.long and all(k is None for k, _ in it.rows):
            rows.append(f"<dt>{label}</dt><dd>{', '.join(_html(v) for _, v in it.rows)}</dd>")
            continue
        lis = "".join(f"<li>{_html([k]) + ': ' if k else ''}{_html(v)}</li>" for k, v in it.rows)
        body = f"<ul>{lis}</ul>"
        if it.long:
            body = f"<details><summary>{plural(len(it.rows), 'entry')}</summary>{body}</details>"
        rows.append(f"<dt>{label}</dt><dd>{body}</dd>")
    return Markup(f'<dl class="evidence">{"".join(rows)}</dl>' if rows else "")


def fix_html(f: Finding, fold_over: int = FIX_OPEN_LINES) -> Markup:
    """The whole fix, HTML-escaped in a <pre>; past fold_over lines, in a closed <details>."""
    fix = whole_fix(f)
    n = len(fix.splitlines())
    pre = f'<pre class="sql"><code>{html.escape(strip_controls(fix), quote=False)}</code></pre>'
    if n > fold_over:
        pre = f"<details><summary>Fix ({plural(n, 'line')})</summary>{pre}</details>"
    return Markup(f'<div class="fix"><div class="fix-label">Fix</div>{pre}</div>')


# ---- objects ----------------------------------------------------------------------------------


def object_pieces(obj: Any) -> list[Piece]:
    """A finding's object as names in code: `idx` on `app.events`, `app.events.org_id`, `app_admin`."""
    display = obj.display
    base = display.rsplit(" on ", 1)
    name = getattr(obj, "name", None)
    if len(base) == 2 and name is not None and base[0] == name:
        return [Piece(name, True), Piece(" on "), Piece(base[1], True)]
    return [Piece(display, True)]


def display_md(display: str, cell: bool = False) -> MdText:
    """An object's display string (a saved report's) as names in code, split at its one " on " if any."""
    parts = str(display).split(" on ")
    if len(parts) == 2:
        return MdText(f"{md_ident(parts[0], cell)} on {md_ident(parts[1], cell)}")
    return md_ident(display, cell)


def object_md(obj: Any, cell: bool = False) -> MdText:
    return MdText("".join(md_ident(p.text, cell) if p.code else p.text for p in object_pieces(obj)))


def object_html(obj: Any) -> Markup:
    return Markup(_html(object_pieces(obj)))
