"""Findings and long fix text held deflated while the rules run.

The fixes of a grouped finding (thousands of foreign keys, policies, partitions) are megabytes of
repetitive SQL: 9 MB on a 10,000-table catalog, 47 MB on 50,000 tables, a tenth of that deflated. They
are held deflated from the rule that makes them to the end of the run (engine.Run), while the snapshot
and the rules' derived data are in memory with them, and inflated once those are gone.

A rule's findings are held the same way, pickled and deflated, until the rules are done and their derived
data is gone: thousands of findings of the same shape (22 MB on 10,000 tables, 110 MB on 50,000) take
a twentieth of that packed.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Iterable
from typing import Any

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


class PackedObjects(bytes):
    """A list of plain objects (a rule's findings), pickled and deflated in this process, for this process."""


def pack_objects(items: list[Any]) -> PackedObjects:
    return PackedObjects(zlib.compress(pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL), 1))


def unpack_objects(packed: list[Any] | PackedObjects) -> list[Any]:
    """The list back (a list that was never packed, as it is). Only ever bytes this process packed."""
    if type(packed) is PackedObjects:
        return pickle.loads(zlib.decompress(packed))  # bytes pack_objects made in this run, never read from outside
    return packed  # type: ignore[return-value]
