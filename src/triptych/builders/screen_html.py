"""HTML written for a screen, made readable on a page: what the PDF and the EPUB do with it.

Extensions write HTML for the site, whether as raw nodes (a script that
configures a kernel) or from their own node visitors (a video's ``<iframe>``,
a tab set's radio buttons, an icon's ``<svg>``). A book can run no script,
fetches nothing and has nothing to click: here, after the writer, the HTML of
a chapter is rewritten wherever it holds such markup, whatever extension wrote it.

- scripts and form controls go, with what they hold;
- an embedded frame, video or audio becomes a link to what it embeds, its
  title (or address) as the text, so nothing is fetched;
- decorative ``<svg>`` (``aria-hidden``) goes: a book has no control it draws;
- a control's ``<label>`` becomes a bold line, and a ``<details>`` is shown
  open, its ``<summary>`` a bold line: every tab of a tab set, every hidden
  part, is read in turn.

Only the tags concerned are rewritten; the rest of the chapter stays as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from triptych.rawhtml import Attributes

#: Elements that go with everything inside them.
DROPPED = frozenset({"script", "noscript", "template", "button", "select", "textarea"})
#: Void form controls.
CONTROLS = frozenset({"input"})
#: Elements that show what another address holds; ``object`` names it in ``data``.
EMBEDS = frozenset({"iframe", "embed", "object", "video", "audio"})
#: Start and end tags shown as a bold line, and a disclosure shown open.
RETAGGED = {"label": "strong", "summary": "strong", "details": "div"}
RETAGGED_CLASS = {
    "label": "triptych-label",
    "summary": "triptych-summary",
    "details": "triptych-details",
}

SVG_NS = "http://www.w3.org/2000/svg"

#: Whether a chapter holds anything this module rewrites (most hold none: left as written).
SCREEN_MARKUP = re.compile(
    r"<(?:script|noscript|template|button|select|textarea|input|iframe|embed|object|video"
    r"|audio|label|summary|details|svg)\b",
    re.IGNORECASE,
)


def _decorative(attributes: Attributes) -> bool:
    return any(
        name == "aria-hidden" and (value or "").lower() == "true" for name, value in attributes
    )


def _embedded_address(tag: str, attributes: Attributes) -> str:
    wanted = "data" if tag == "object" else "src"
    return next((value or "" for name, value in attributes if name == wanted), "")


def embed_link(address: str, title: str) -> str:
    """What stands for an embedded *address*: a link to it, or its title when it is local.

    A local file is packed by neither book (Sphinx never copied it); a link would be broken.
    """
    text = title or address
    if urlsplit(address).scheme in {"http", "https"}:
        href = escape(address, quote=True)
        return f'<a class="reference external triptych-embed" href="{href}">{escape(text)}</a>'
    return f'<span class="triptych-embed">{escape(text)}</span>' if text else ""


def _written_with(tag: str, attributes: Attributes, closed: bool) -> str:
    written = "".join(
        f" {name}" if value is None else f' {name}="{escape(value, quote=True)}"'
        for name, value in attributes
    )
    return f"<{tag}{written}{' /' if closed else ''}>"


@dataclass
class _Dropping:
    """An element being left out, and what is written in its place."""

    tag: str
    start: int
    depth: int = 1
    address: str = ""
    title: str = ""
    embeds: bool = False
    sources: list[str] = field(default_factory=list)

    def replacement(self) -> str:
        if not self.embeds:
            return ""
        return embed_link(self.address or next(iter(self.sources), ""), self.title)


class _ScreenMarkup(HTMLParser):
    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=False)
        self.markup = markup
        # The tokenizer counts lines by "\n" alone.
        self.line_starts = [0]
        for text_line in markup.split("\n"):
            self.line_starts.append(self.line_starts[-1] + len(text_line) + 1)
        #: (start, end, replacement) of each tag or element rewritten, in order.
        self.edits: list[tuple[int, int, str]] = []
        self.dropping: _Dropping | None = None

    def position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: Attributes) -> None:
        self.start_tag(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: Attributes) -> None:
        self.start_tag(tag, attrs, closed=True)

    def start_tag(self, tag: str, attrs: Attributes, *, closed: bool) -> None:
        start = self.position()
        end = start + len(self.get_starttag_text() or "")
        if (dropping := self.dropping) is not None:
            if tag == "source" and (address := _embedded_address(tag, attrs)):
                dropping.sources.append(address)
            if tag == dropping.tag and not closed:
                dropping.depth += 1
            return
        if tag in DROPPED or tag in EMBEDS or (tag == "svg" and _decorative(attrs)):
            values = dict(attrs)
            dropping = _Dropping(
                tag, start, embeds=tag in EMBEDS, address=_embedded_address(tag, attrs),
                title=(values.get("title") or values.get("aria-label") or "").strip(),
            )  # fmt: skip
            if closed:
                self.edits.append((start, end, dropping.replacement()))
            else:
                self.dropping = dropping
        elif tag == "svg" and not any(name == "xmlns" for name, _value in attrs):
            # Inline SVG is in its namespace in HTML by its name; in XHTML only by saying so.
            self.edits.append((start, end, _written_with(tag, [*attrs, ("xmlns", SVG_NS)], closed)))
        elif tag in CONTROLS:
            self.edits.append((start, end, ""))
        elif tag in RETAGGED:
            classes = " ".join([RETAGGED_CLASS[tag], *(dict(attrs).get("class") or "").split()])
            ids = "".join(
                f' id="{escape(value, quote=True)}"'
                for name, value in attrs
                if name == "id" and value
            )
            self.edits.append((start, end, f'<{RETAGGED[tag]} class="{classes}"{ids}>'))

    def handle_endtag(self, tag: str) -> None:
        start = self.position()
        closing = self.markup.find(">", start)
        end = len(self.markup) if closing < 0 else closing + 1
        if (dropping := self.dropping) is not None:
            if tag == dropping.tag:
                dropping.depth -= 1
                if not dropping.depth:
                    self.edits.append((dropping.start, end, dropping.replacement()))
                    self.dropping = None
            return
        if tag in RETAGGED:
            self.edits.append((start, end, f"</{RETAGGED[tag]}>"))

    def close(self) -> None:
        super().close()
        if (dropping := self.dropping) is not None:
            # Never closed: all that follows was inside it.
            self.edits.append((dropping.start, len(self.markup), dropping.replacement()))
            self.dropping = None


def for_books(markup: str) -> str:
    """*markup* (a chapter's HTML) with what only a screen can show rewritten for a page."""
    if not SCREEN_MARKUP.search(markup):
        return markup
    parser = _ScreenMarkup(markup)
    parser.feed(markup)
    parser.close()
    pieces: list[str] = []
    done = 0
    for start, end, replacement in parser.edits:
        pieces += [markup[done:start], replacement]
        done = end
    return "".join(pieces) + markup[done:]
