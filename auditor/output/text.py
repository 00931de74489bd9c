"""Untrusted text made safe to show: control and bidi characters made visible, Markdown escaped.

Every name and definition in a report comes from the audited database, so whoever can name an object
writes into our output; each format's writer passes such text through here. Names are shown in code
spans (a backtick run inside a name gets a longer fence), prose is escaped, SQL goes in a fence no
line of it can close, and plurals are written out ("3 tables", never "3 table(s)").
"""

from __future__ import annotations

import html
import re
from typing import Any

from markupsafe import Markup

from auditor.base.text import strip_controls

__all__ = [
    "MdText",
    "html_finalize",
    "html_prose",
    "md_code",
    "md_escape",
    "md_finalize",
    "md_ident",
    "md_prose",
    "plural",
    "plural_word",
    "strip_controls",
    "tidy_plurals",
]


class MdText(str):
    """Markdown a filter built on purpose; the Markdown environment prints it without escaping again."""


# `_` is handled apart: between two letters or digits it cannot start or end emphasis, so it stays bare.
# `>` and `!` act only at the start of a line or before `[`, which the templates and the escapes prevent.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<#|~$&])")
_UNDERSCORES = re.compile(r"_+")


def _visible(value: Any) -> str:
    """One line of visible text: controls escaped, line breaks and tabs as spaces."""
    text = strip_controls(str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", " ").replace("\t", " ")


def _underscores(m: re.Match[str]) -> str:
    s, start, end = m.string, m.start(), m.end()
    inner = start > 0 and end < len(s) and s[start - 1].isalnum() and s[end].isalnum()
    return m.group() if inner else m.group().replace("_", "\\_")


def md_escape(value: Any) -> MdText:
    """Text safe anywhere in a Markdown line, table cells included: markup, pipes, newlines, controls."""
    if isinstance(value, MdText):
        return value
    text = _MD_SPECIAL.sub(r"\\\1", _visible(value))
    # a leading "-", "1." or ">" cannot start a block here: the templates never start a line with DB text
    return MdText(_UNDERSCORES.sub(_underscores, text))


def md_ident(value: Any, cell: bool = False) -> MdText:
    """A name as a code span: shown as is, never backslash-escaped. A backtick run inside the name gets
    a longer fence; in a table cell a pipe is escaped (GFM splits cells before it reads code spans)."""
    text = _visible(value)
    if not text:
        return MdText("")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text[0] in "` " or text[-1] in "` ":
        text = f" {text} "
    if cell:
        text = text.replace("|", "\\|")
    return MdText(f"{fence}{text}{fence}")


def md_prose(value: Any) -> MdText:
    """Our own sentences (rule titles) whose `quoted parts` are code: each pair of backticks becomes a code
    span, the rest is escaped, so no backtick is ever shown literally (in a heading or elsewhere)."""
    parts = str(value).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code spans, all escaped
        return md_escape(tidy_plurals(str(value)))
    return MdText("".join(md_ident(p) if i % 2 else md_escape(tidy_plurals(p)) for i, p in enumerate(parts)))


def html_prose(value: Any) -> Markup:
    """md_prose for HTML: `quoted parts` of our own sentences as <code>, the rest escaped."""
    parts = strip_controls(str(value)).split("`")
    if len(parts) % 2 == 0:
        return Markup(html.escape(tidy_plurals(strip_controls(str(value))), quote=False))
    out = [
        f"<code>{html.escape(p, quote=False)}</code>" if i % 2 else html.escape(tidy_plurals(p), quote=False)
        for i, p in enumerate(parts)
    ]
    return Markup("".join(out))


def md_code(value: Any, lang: str = "sql") -> MdText:
    """A fenced block that no backtick run inside the content can close early. Inside the fence nothing
    is read as Markdown or HTML, so a `</details>` or `<script>` in a fix is shown, not obeyed."""
    text = strip_controls(str(value)).replace("\r\n", "\n").replace("\r", "\n")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return MdText(f"{fence}{lang}\n{text}\n{fence}")


def plural_word(word: str) -> str:
    """English plural of one of our nouns: table -> tables, entry -> entries, index -> indexes."""
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 table', '3 tables', '1,204 tables': the count and the noun in the right number."""
    return f"{n:,} {word if n == 1 else many or plural_word(word)}"


# Only whole words after a space, a parenthesis or the start: a name holding "(s)" is always shown
# quoted ("foo(s)") or qualified (app.foo), since PostgreSQL needs quotes around a parenthesis.
_COUNTED = re.compile(r"(?<![^\s(])(\d[\d,]*)((?:[ -][A-Za-z-]+){0,3}?) ([A-Za-z-]+)\(s\)")
_UNCOUNTED = re.compile(r"(?<![^\s(])([A-Za-z-]+)\(s\)")


def tidy_plurals(text: str) -> str:
    """'3 table(s)' -> '3 tables', '1 table(s)' -> '1 table', and a count-less 'role(s)' -> 'roles', for
    text made elsewhere (rule messages, score notes) before it is shown."""
    if "(s)" not in text:
        return text

    def counted(m: re.Match[str]) -> str:
        n = int(m.group(1).replace(",", ""))
        noun = m.group(3) if n == 1 else plural_word(m.group(3))
        return f"{m.group(1)}{m.group(2)} {noun}"

    text = _COUNTED.sub(counted, text)
    return _UNCOUNTED.sub(lambda m: plural_word(m.group(1)), text)


def md_finalize(value: Any) -> Any:
    if isinstance(value, MdText) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    return md_escape(tidy_plurals(str(value)))


def html_finalize(value: Any) -> Any:
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return tidy_plurals(strip_controls(value))
