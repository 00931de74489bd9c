"""Indented JSON, byte for byte what json.dumps(obj, indent=N, sort_keys=True, ensure_ascii=False) writes.

With an indent, the standard library encodes in pure Python with one generator per container (its
C encoder only writes without one): 0.38 s for the 25 MB report of a 10,000-table catalog. Here the
containers are walked by plain recursion into one list of pieces, and a container that holds only
plain values (a list of fix statements, an object's name parts) is written by the C encoder with a
separator that carries the newline and the indent. Anything the standard library treats specially
(a key that is not a string, a type it cannot encode, a cycle) goes to json.dumps, so the bytes
never differ; tests/test_jsonout.py holds the two side by side.

`dump` writes the same text to a file as it goes, a few thousand pieces at a time: the report of a
10,000-table catalog is 55 MB of text, and its list of pieces held twice that before the join. A long
string (a grouped finding's fix is 9 MB there, 47 MB on 50,000 tables) is escaped and written a slice at a
time: whole, its escaped copy, the text joined around it and the encoded bytes were three more copies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring  # the C escaper, as json.dumps uses with ensure_ascii=False
from typing import Any, TextIO

try:
    from _json import make_encoder as _c_make_encoder
except ImportError:  # pragma: no cover - CPython always has _json
    _c_make_encoder = None

_INF = float("inf")
_MAX_DEPTH = 200


class _Unusual(Exception):
    """Something only json.dumps knows how to write (or to refuse)."""


def dumps(obj: Any, indent: int = 2) -> str:
    if _c_make_encoder is None:
        return json.dumps(obj, indent=indent, sort_keys=True, ensure_ascii=False)
    out: list[str] = []
    try:
        _Writer(indent).value(obj, "\n", out, 0)
    except (_Unusual, RecursionError, TypeError):  # TypeError: keys that do not sort together
        return json.dumps(obj, indent=indent, sort_keys=True, ensure_ascii=False)
    return "".join(out)


def dump(obj: Any, fh: TextIO, indent: int = 2) -> None:
    """dumps(obj, indent) written to fh as it is made. fh must be seekable: what json.dumps alone can write
    (see _Unusual) is only found on the way, and then fh is rewritten from its start."""
    if _c_make_encoder is None:
        fh.write(dumps(obj, indent))
        return
    start = fh.tell()
    out: list[str] = []

    def flush() -> None:
        fh.writelines(out)  # piece by piece: no copy of them all joined
        out.clear()

    try:
        _Writer(indent, flush).value(obj, "\n", out, 0)
    except (_Unusual, RecursionError, TypeError):
        fh.seek(start)
        fh.truncate()
        fh.write(json.dumps(obj, indent=indent, sort_keys=True, ensure_ascii=False))
        return
    flush()


_FLUSH_AT = 4096  # pieces held before they are written (dump)
_SLICE = 1 << 16  # dump: a string longer than this is escaped and written in slices of this many characters


def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o == _INF:
        return "Infinity"
    if o == -_INF:
        return "-Infinity"
    return float.__repr__(o)


# Exact types only: a subclass (an IntEnum, a str subclass) takes the isinstance road, as in json.
_PLAIN: dict[type, Any] = {
    str: encode_basestring,
    int: int.__repr__,
    float: _float,
    bool: lambda o: "true" if o else "false",
    type(None): lambda o: "null",
}
_PLAIN_TYPES = frozenset(_PLAIN)


def _scalar(o: Any) -> str | None:
    """A plain value of any type json.dumps writes as one (subclasses included); None for a container."""
    if isinstance(o, str):
        return encode_basestring(o)
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, int):
        return int.__repr__(o)
    if isinstance(o, float):
        return _float(o)
    if isinstance(o, list | tuple | dict):
        return None
    raise _Unusual


def _holds_long(values: Any) -> bool:
    return any(type(v) is str and len(v) > _SLICE for v in values)


class _Writer:
    def __init__(self, indent: int, flush: Callable[[], None] | None = None) -> None:
        self.step = " " * indent
        self.flush = flush  # dump: writes out and empties it
        self.slices = flush is not None  # dump: long strings a slice at a time (escaping is per character)
        self.flat: dict[str, Any] = {}  # C encoders by indent
        self.keys: dict[str, str] = {}  # '"key": ' by key: the same few keys repeat in every finding

    def value(self, o: Any, nl: str, out: list[str], depth: int) -> None:
        """Append o's JSON to out; nl is a newline and the indent of the line o starts on."""
        t = type(o)
        if t is dict or t is list:
            text = None
        else:
            plain = _PLAIN.get(t)
            text = plain(o) if plain is not None else _scalar(o)
        if text is not None:
            out.append(text)
        elif not o:
            out.append("{}" if isinstance(o, dict) else "[]")
        elif depth > _MAX_DEPTH:  # json.dumps says what is wrong (a cycle) or copes (deep nesting)
            raise _Unusual
        else:
            self.container(o, nl, out, depth)

    def long_string(self, o: str, out: list[str]) -> None:
        """o's JSON in pieces, each written before the next is made: the same text as encode_basestring(o)."""
        assert self.flush is not None
        out.append('"')
        for start in range(0, len(o), _SLICE):
            out.append(encode_basestring(o[start : start + _SLICE])[1:-1])
            self.flush()
        out.append('"')

    def container(self, o: Any, nl: str, out: list[str], depth: int) -> None:
        inner = nl + self.step
        is_dict = isinstance(o, dict)
        values = o.values() if is_dict else o
        if _PLAIN_TYPES.issuperset(map(type, values)) and not (self.slices and _holds_long(values)):
            # Plain values only: the C encoder writes them, its separator ends each line and indents the next.
            encoder = self.flat.get(inner)
            if encoder is None:
                encoder = self.flat[inner] = _c_make_encoder(
                    None, None, encode_basestring, None, ": ", "," + inner, True, False, True
                )
            text = "".join(encoder(o, 0))
            out.append(f"{text[0]}{inner}{text[1:-1]}{nl}{text[-1]}")
            return
        append = out.append
        plain_of = _PLAIN.get
        lead = ("{" if is_dict else "[") + inner  # before the first member; then the separator
        sep = "," + inner
        if is_dict:
            keys = self.keys
            for k, v in sorted(o.items()):
                head = keys.get(k)
                if head is None:
                    if not isinstance(k, str):
                        raise _Unusual
                    head = keys[k] = encode_basestring(k) + ": "
                plain = plain_of(type(v))
                if self.slices and type(v) is str and len(v) > _SLICE:
                    append(lead + head)
                    self.long_string(v, out)
                elif plain is not None:
                    append(f"{lead}{head}{plain(v)}")
                else:
                    append(lead + head)
                    self.value(v, inner, out, depth + 1)
                    if len(out) > _FLUSH_AT and self.flush is not None:
                        self.flush()
                lead = sep
            append(nl + "}")
            return
        for v in o:
            plain = plain_of(type(v))
            if self.slices and type(v) is str and len(v) > _SLICE:
                append(lead)
                self.long_string(v, out)
            elif plain is not None:
                append(lead + plain(v))
            else:
                append(lead)
                self.value(v, inner, out, depth + 1)
                if len(out) > _FLUSH_AT and self.flush is not None:
                    self.flush()
            lead = sep
        append(nl + "]")
