"""Untrusted text (names and definitions from the audited database) shown without letting it act:
control, invisible and bidi-override characters become visible escapes, in reports, on the terminal
and inside SQL comments alike.
"""

from __future__ import annotations

import re

# C0/C1 controls, DEL, zero-width and invisible formatting, line/paragraph separators, bidi controls.
_INVISIBLE_SET = "\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
_INVISIBLE = re.compile(f"[\x00-\x08\x0b-\x1f{_INVISIBLE_SET}]")
# The same plus tab and newline: what quoting (base/names) never prints raw into SQL.
UNSAFE_CHARS = re.compile(f"[\x00-\x1f{_INVISIBLE_SET}]")


def strip_controls(text: str) -> str:
    """Show control, invisible and bidi-override characters as visible \\uXXXX escapes (Trojan Source)."""
    if text.isprintable():  # every character above is unprintable to Python: most text needs no regex
        return text
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def sql_comment(text: str) -> str:
    """Text made safe inside a `-- ...` SQL comment: a newline in a name would end the comment and turn
    the rest of the line into SQL, so it is shown as \\n (every other control as strip_controls shows it)."""
    return strip_controls(text).replace("\n", "\\n").replace("\t", " ")
