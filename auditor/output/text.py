"""Untrusted text made safe to show: control and bidi characters made visible, Markdown escaped.

Every name and definition in a report comes from the audited database, so whoever can name an object
writes into our output; each format's writer passes such text through here.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

from auditor.base.text import strip_controls


class MdText(str):
    """Markdown a filter built on purpose; the Markdown environment prints it without escaping again."""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#!|~$&])")


def md_escape(value: Any) -> MdText:
    """Text safe anywhere in a Markdown line, table cells included: markup, pipes, newlines, controls."""
    if isinstance(value, MdText):
        return value
    text = strip_controls(str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ").replace("\t", " ")
    # a leading "-", "1." or ">" cannot start a block here: the escapes above and the prefix in each template
    return MdText(text)


def md_code(value: Any, lang: str = "sql") -> MdText:
    """A fenced block that no backtick run inside the content can close early."""
    text = strip_controls(str(value))
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return MdText(f"{fence}{lang}\n{text}\n{fence}")


def md_finalize(value: Any) -> Any:
    if isinstance(value, MdText) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    return md_escape(value)


def html_finalize(value: Any) -> Any:
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return strip_controls(value)
