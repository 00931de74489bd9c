"""Long fix text held deflated while the rules run.

The fixes of a grouped finding (thousands of foreign keys, policies, partitions) are megabytes of
repetitive SQL: 9 MB on a 10,000-table catalog, 47 MB on 50,000 tables, a tenth of that deflated. They
are held deflated from the rule that makes them to the end of the run (engine.Run), while the snapshot
and the rules' derived data are in memory with them, and inflated once those are gone.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

PIECE = 1 << 16  # characters encoded and deflated at a time: the whole text encoded was one more copy of it


class PackedFix(bytes):
    """A fix, deflated UTF-8. Only a Run holds one (engine.run_rule's findings are plain text)."""


def deflate(text: str, piece: int = PIECE) -> PackedFix:
    return deflate_lines([text], piece)


def deflate_lines(texts: Iterable[str], piece: int = PIECE) -> PackedFix:
    """zlib.compress("\\n".join(texts).encode()), made a piece at a time: neither the joined text nor its
    encoding is ever whole in memory."""
    z = zlib.compressobj(1)
    out = []
    sep = ""
    for text in texts:
        if sep:
            out.append(z.compress(b"\n"))
        sep = "\n"
        out += [z.compress(text[i : i + piece].encode("utf-8")) for i in range(0, len(text), piece)]
    out.append(z.flush())
    return PackedFix(b"".join(out))


def inflate(fix: str | PackedFix | None) -> str | None:
    """The text of a fix, packed or not."""
    return zlib.decompress(fix).decode("utf-8") if type(fix) is PackedFix else fix  # type: ignore[return-value]
