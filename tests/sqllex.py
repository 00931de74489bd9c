"""A small PostgreSQL lexer for the tests: which parts of a SQL text are code, and which are inside a
comment, a string literal or a quoted identifier (where a hostile name may sit, inert).

It reads what psql and the server read: `--` comments to the end of the line, nested `/* */`
comments, '...' strings ('' escapes; standard_conforming_strings on), E'...' strings (backslash
escapes), U&'...' strings, $tag$...$tag$ dollar quotes, "..." and U&"..." identifiers ("" escapes).
"""

from __future__ import annotations

import re

_DOLLAR = re.compile(r"\$([A-Za-z_\u0080-\uffff][A-Za-z_0-9\u0080-\uffff]*)?\$")
_IDENT_CHAR = re.compile(r"[A-Za-z_0-9$\u0080-\uffff]")


class Unterminated(ValueError):
    """A quote or comment opened and never closed: everything after it is swallowed, or worse."""


def code_only(text: str) -> str:
    """text with every comment, string literal and quoted identifier blanked to spaces (line breaks
    kept): what is left is what runs as SQL keywords and bare names."""
    out: list[str] = []
    i, n = 0, len(text)

    def blank(a: int, b: int) -> None:
        out.append("".join(ch if ch in "\n" else " " for ch in text[a:b]))

    while i < n:
        ch = text[i]
        two = text[i : i + 2]
        prev_ident = i > 0 and bool(_IDENT_CHAR.match(text[i - 1]))
        if two == "--":
            end = len(text)
            for stop in ("\n", "\r"):
                k = text.find(stop, i)
                if k != -1:
                    end = min(end, k)
            blank(i, end)
            i = end
        elif two == "/*":
            depth, j = 0, i
            while j < n:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                    if depth == 0:
                        break
                else:
                    j += 1
            if depth:
                raise Unterminated(f"comment opened at {i}")
            blank(i, j)
            i = j
        elif ch in "eE" and text[i + 1 : i + 2] == "'" and not prev_ident:
            j = _string_end(text, i + 2, backslash=True)
            blank(i, j)
            i = j
        elif ch in "uU" and text[i + 1 : i + 3] in ("&'", '&"') and not prev_ident:
            quote = text[i + 2]
            j = _string_end(text, i + 3, quote=quote)
            blank(i, j)
            i = j
        elif ch == "'":
            j = _string_end(text, i + 1)
            blank(i, j)
            i = j
        elif ch == '"':
            j = _string_end(text, i + 1, quote='"')
            blank(i, j)
            i = j
        elif ch == "$" and not prev_ident and (m := _DOLLAR.match(text, i)):
            tag = m.group()
            k = text.find(tag, m.end())
            if k == -1:
                raise Unterminated(f"dollar quote {tag} opened at {i}")
            blank(i, k + len(tag))
            i = k + len(tag)
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _string_end(text: str, j: int, quote: str = "'", backslash: bool = False) -> int:
    """The index after the closing quote of a quoted token whose body starts at j."""
    n = len(text)
    while j < n:
        ch = text[j]
        if backslash and ch == "\\":
            j += 2
        elif ch == quote:
            if text[j + 1 : j + 2] == quote:
                j += 2
            else:
                return j + 1
        else:
            j += 1
    raise Unterminated(f"{quote} quote never closed")
