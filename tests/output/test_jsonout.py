"""auditor.output.jsonout writes the bytes json.dumps(indent=2, sort_keys=True, ensure_ascii=False) writes."""

from __future__ import annotations

import enum
import io
import json
from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.output import jsonout
from auditor.output.render import envelope
from auditor.output.sarif import to_sarif

from reports import big, frozen


def reference(obj, indent=2):
    return json.dumps(obj, indent=indent, sort_keys=True, ensure_ascii=False)


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # controls, quotes, backslashes, U+2028, astral characters
)
DOCS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=60,
)


@settings(max_examples=500, deadline=None)
@given(DOCS)
def test_any_document(doc):
    assert jsonout.dumps(doc) == reference(doc)


@settings(max_examples=200, deadline=None)
@given(st.lists(DOCS, max_size=3000).map(lambda docs: {"findings": docs}) | DOCS)
def test_dump_writes_what_dumps_returns(doc):
    """Written to a file as it is made (in pieces, flushed every few thousand), or rewritten whole when
    only json.dumps can write it: the same text."""
    fh = io.StringIO()
    fh.write("head ")
    start = fh.tell()
    jsonout.dump(doc, fh)
    assert fh.getvalue()[start:] == reference(doc)


@settings(max_examples=100, deadline=None)
@given(DOCS, st.integers(min_value=0, max_value=4))
def test_any_indent(doc, indent):
    assert jsonout.dumps(doc, indent=indent) == reference(doc, indent=indent)


class Level(enum.IntEnum):
    HIGH = 3


class Label(str):
    pass


def test_what_json_treats_specially():
    doc = {
        "subclasses": [Level.HIGH, Label("<b>"), 1.5, True],
        "flat subclasses": {"a": Level.HIGH, "b": Label("x")},
        "ordered": OrderedDict([("b", 1), ("a", [2, {}])]),
        "numeric keys": {2: "two", 0.5: [1], -1: {}},
        "other keys": [{None: [1]}, {True: "yes", False: ["no"]}],
        "deep": [[[[[[[[[[["x"]]]]]]]]]]],
        "empty": [[], {}, (), [[]], [{}]],
    }
    assert jsonout.dumps(doc) == reference(doc)
    deep = ["x"]
    for _ in range(400):  # deeper than the writer recurses: json.dumps takes it
        deep = [deep]
    assert jsonout.dumps(deep) == reference(deep)


def test_refuses_what_json_refuses():
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        jsonout.dumps({"a": loop})
    with pytest.raises(TypeError, match="not JSON serializable"):
        jsonout.dumps({"a": [{1, 2}]})
    with pytest.raises(TypeError):
        jsonout.dumps({"a": {1: 1, "b": [1]}})  # keys that do not sort together


def test_reports():
    for report in (frozen(), big(2000)):
        assert jsonout.dumps(envelope(report)) == reference(envelope(report))
        assert jsonout.dumps(to_sarif(report)) == reference(to_sarif(report))


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=40), st.integers(min_value=7, max_value=9))
def test_dump_writes_a_long_string_a_slice_at_a_time(unit, repeat):
    """A string past the slice size (a grouped finding's fix) is escaped and written in slices: the same text
    as whole, whatever character (an escape, an astral one) falls on a slice's edge; as a value of an object
    and of a list, and beside plain values."""
    long = unit * (jsonout._SLICE // len(unit) * repeat + 7)
    doc = {"findings": [{"fix": long, "n": 1, "members": [long, "x"]}], "fix": long}
    writes: list[int] = []

    class Recording(io.StringIO):
        def write(self, text: str) -> int:
            writes.append(len(text))
            return super().write(text)

    fh = Recording()
    jsonout.dump(doc, fh)
    assert fh.getvalue() == reference(doc)
    # a slice escapes to at most six characters each (\u001f); whole, the string is longer than that
    assert max(writes) <= 6 * jsonout._SLICE + 64 < len(long), "the long string was written whole"
