"""Property tests: any identifier survives Markdown and HTML rendering as the same visible text.

A name may hold pipes, backticks, brackets, HTML, newlines, control, zero-width and bidi characters
(quoted identifiers allow all of them). Parsed back by a real CommonMark + GFM-table parser (the
markdown-it-py that rich brings) or by the stdlib HTML parser, the text must be the name itself,
with invisible characters shown as \\uXXXX and nothing interpreted as markup.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.output.render import environment
from auditor.output.text import md_escape, strip_controls

NASTY = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("|`*_[]()<>#!~$&\\-+.:;'\"{} \n\t\r@=/")),
        st.sampled_from(["\u202e", "\u2066", "\u200b", "\ufeff", "\x00", "\x1b", "\x7f", "\u0085", "é", "表", "🙂"]),
        st.characters(codec="utf-8"),
    ),
    min_size=1,
    max_size=40,
)


def visible(name: str) -> str:
    """What a reader should see: invisible characters escaped, line breaks as spaces."""
    text = strip_controls(name).replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\n\t]", " ", text)


def md_cell_text(markdown: str) -> list[str]:
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)
    cells = re.findall(r"<td>(.*?)</td>", rendered, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in cells]


@settings(max_examples=300, deadline=None)
@given(NASTY)
def test_markdown_table_cell_keeps_the_name_as_text(name: str) -> None:
    doc = f"| a | b | c |\n|---|---|---|\n| x | {md_escape(name)} | y |\n"
    cells = md_cell_text(doc)
    assert len(cells) == 3, (name, doc)
    assert cells[0] == "x" and cells[2] == "y"
    assert cells[1].strip() == visible(name).strip()


class TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


@settings(max_examples=300, deadline=None)
@given(NASTY)
def test_html_cell_keeps_the_name_as_text(name: str) -> None:
    template = environment("html").from_string('<td class="obj" data-table="{{ n }}">{{ n }}</td>')
    out = template.render(n=name)
    parser = TextOf()
    parser.feed(out)
    parser.close()
    assert parser.tags == ["td"]
    assert "".join(parser.text) == strip_controls(name)
