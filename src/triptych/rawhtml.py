"""The start tags of raw HTML, read with the standard library's tokenizer and rewritten in place.

MyST hands raw HTML over as text: a whole block, or one tag at a time
inline (``<a href="#x">``, its text, ``</a>``). Links and ids in it are
settled like any others (a link to a place the page lacks becomes its
text; the PDF qualifies ids per document), so their start tags are
rewritten where they stand and everything else is left as written.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

Attributes = list[tuple[str, str | None]]


def names_a_place(tag: str, attribute: str) -> bool:
    """Whether *attribute* of *tag* names a place in the page a fragment can point at."""
    return attribute == "id" or (tag == "a" and attribute == "name")


class _StartTags(HTMLParser):
    """Each start tag of a fragment: where it begins, its text, its name and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tags: list[tuple[int, int, str, str, Attributes]] = []

    def handle_starttag(self, tag: str, attrs: Attributes) -> None:
        line, column = self.getpos()
        self.tags.append((line, column, self.get_starttag_text() or "", tag, attrs))

    handle_startendtag = handle_starttag


def start_tags(markup: str) -> list[tuple[int, int, str, str, Attributes]]:
    """(line, column, text, name, attributes) of every start tag in *markup*."""
    parser = _StartTags()
    parser.feed(markup)
    parser.close()
    return parser.tags


def anchors_in(markup: str) -> set[str]:
    """The ids (and ``<a name>``) raw HTML gives places of its page."""
    return {
        value
        for _line, _column, _text, tag, attributes in start_tags(markup)
        for name, value in attributes
        if names_a_place(tag, name) and value
    }


def _written(tag: str, attributes: Attributes, original: str) -> str:
    written = "".join(
        f" {name}" if value is None else f' {name}="{escape(value, quote=True)}"'
        for name, value in attributes
    )
    return f"<{tag}{written}{' /' if original.rstrip().endswith('/>') else ''}>"


def rewrite_start_tags(
    markup: str, rewrite: Callable[[str, Attributes, int], Attributes | None]
) -> str:
    """*markup* with the start tags *rewrite* changes written anew; the rest as it was.

    *rewrite* is given a tag's name, its attributes and its line in *markup*
    (from 1), and returns new attributes or ``None`` to leave the tag as written.
    """
    # The tokenizer counts lines by "\n" alone.
    line_starts = [0]
    for text_line in markup.split("\n"):
        line_starts.append(line_starts[-1] + len(text_line) + 1)
    pieces: list[str] = []
    done = 0
    for line, column, text, tag, attributes in start_tags(markup):
        changed = rewrite(tag, attributes, line)
        if changed is None:
            continue
        start = line_starts[line - 1] + column
        pieces += [markup[done:start], _written(tag, changed, text)]
        done = start + len(text)
    return "".join(pieces) + markup[done:] if pieces else markup
