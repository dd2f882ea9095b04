"""Printed page numbers written from a page map, not computed by WeasyPrint's ``target-counter()``.

Every link that prints its target's page (a contents line, a reference to
another article's section, a glossary back-reference, an index locator) is a
*page slot*: an ``<a>`` of the print HTML with one of :data:`SLOT_CLASSES`.
The number it prints is its ``data-page`` attribute, shown by the print
stylesheet with ``attr(data-page)``.

WeasyPrint resolves a forward ``target-counter()`` by laying out again every
page after the first one that changed, up to eight times, and prints 0 for a
number that has not settled by then. Here the builder lays the book out, reads
the page each anchor begins on (:func:`page_map`), writes those numbers into
the slots and lays out again only if a printed number changed: a wider number
can break a line differently and move what follows. A number as wide as the one
laid out is written over it in the PDF instead (:mod:`.numerals`). A book whose numbers do
not settle within the builder's passes fails with :class:`PagesNotSettled`;
it never prints a number that is not the page of its target.
"""

from __future__ import annotations

import html as html_escape
import math
import re
from typing import TYPE_CHECKING, Any

from triptych.builders.pdf.assembly import PAGE_NUMBER_CLASS, PAGE_REFERENCE_CLASS
from triptych.diagnostics import PdfRenderError

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The class the print template gives the links of the contents.
CONTENTS_LINK_CLASS = "triptych-contents-link"
SLOT_CLASSES = frozenset({PAGE_REFERENCE_CLASS, PAGE_NUMBER_CLASS, CONTENTS_LINK_CLASS})
#: What a slot prints when no page is known or guessed for its target: three figures, so that
#: most lines are as wide as they will be.
UNKNOWN_PAGE = "000"

#: The page of a first guess (:func:`estimated_pages`): lines a page holds, characters a line
#: holds, the lines a block's spacing and a figure take, and what closes a block.
LINES_PER_PAGE = 44
CHARACTERS_PER_LINE = 90
BLOCK_SPACING_LINES = 0.3
IMAGE_LINES = 14
_BLOCK_ENDS = frozenset(
    {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "tr", "pre", "caption",
     "figcaption", "blockquote"}
)  # fmt: skip
#: Classes of the print HTML that begin a new page (see print.css and the part stylesheet).
_NEW_PAGE_CLASSES = frozenset(
    {"triptych-chapter", "triptych-part", "triptych-imprint", "triptych-contents"}
)
#: Front matter that takes no page (see assembly.py).
_NO_PAGE_CLASS = "triptych-empty-front-matter"
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
_ID = re.compile(r'\sid="([^"]*)"')
_CLASS = re.compile(r'\sclass="([^"]*)"')

# The print HTML is written by triptych's translator and template, which escape ``>`` and
# ``"`` in attribute values, so an opening tag ends at the first ``>``.
OPENING_LINK = re.compile(r"<a\s[^>]*>")
ATTRIBUTE = re.compile(r'\s([a-zA-Z-]+)="([^"]*)"')


class PagesNotSettled(PdfRenderError):  # noqa: N818 (named as the state of the book it reports)
    """The printed page numbers still moved after the last layout the builder allows."""

    def __init__(self, layouts: int, moved: dict[str, tuple[str, int]], location: str = "") -> None:
        self.layouts = layouts
        self.moved = moved
        examples = ", ".join(
            f"#{target} printed {printed}, laid out on {page}"
            for target, (printed, page) in sorted(moved.items())[:3]
        )
        super().__init__(
            f"the printed page numbers did not settle after {layouts} layouts "
            f"({len(moved)} still wrong: {examples})",
            location,
        )


def _slot_target(tag: str) -> str | None:
    """The anchor a page slot prints the page of, or None when *tag* is not a slot."""
    attributes = dict(ATTRIBUTE.findall(tag))
    if not SLOT_CLASSES.intersection(attributes.get("class", "").split()):
        return None
    href = html_escape.unescape(attributes.get("href", ""))
    return href[1:] if href.startswith("#") else None


def slot_targets(print_html: str) -> set[str]:
    """The anchors whose pages *print_html* prints."""
    return {
        target
        for match in OPENING_LINK.finditer(print_html)
        if (target := _slot_target(match.group(0))) is not None
    }


def with_page_numbers(print_html: str, pages: Mapping[str, int]) -> str:
    """*print_html* with each page slot's ``data-page`` set from *pages*.

    A slot whose target is not in *pages* prints :data:`UNKNOWN_PAGE`.
    """

    def fill(match: re.Match[str]) -> str:
        tag = match.group(0)
        target = _slot_target(tag)
        if target is None:
            return tag
        page = pages.get(target)
        return f'{tag[:-1]} data-page="{page if page is not None else UNKNOWN_PAGE}">'

    return OPENING_LINK.sub(fill, print_html)


def estimated_pages(print_html: str) -> dict[str, int]:
    """A guess at the page each anchor of *print_html* begins on, before any layout.

    Text is set in lines of :data:`CHARACTERS_PER_LINE` characters, each block rounded up
    to whole lines, on pages of :data:`LINES_PER_PAGE` lines; chapters begin new pages. The
    guess is what the first layout prints: a number with as many figures as the true one
    is as wide (the book's figures are tabular), so the layout it gives is, nearly always,
    the layout of the true numbers, and the second layout confirms it.
    """
    pages: dict[str, int] = {}
    page, lines, pending = 1, 0.0, 0
    position = max(print_html.find("<body"), 0)
    for match in _TAG.finditer(print_html, position):
        pending += len(html_escape.unescape(print_html[position : match.start()]).strip())
        position = match.end()
        closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            if name in _BLOCK_ENDS:
                lines += math.ceil(pending / CHARACTERS_PER_LINE) + BLOCK_SPACING_LINES
                pending = 0
        else:
            if name == "img":
                lines += IMAGE_LINES
            classes = _CLASS.search(attributes)
            opens_page = (
                classes
                and _NEW_PAGE_CLASSES.intersection(classes.group(1).split())
                and _NO_PAGE_CLASS not in classes.group(1).split()
            )
            if opens_page and (lines or pending):
                page, lines, pending = page + 1, 0.0, 0
        while lines >= LINES_PER_PAGE:
            page, lines = page + 1, lines - LINES_PER_PAGE
        for anchor in _ID.findall(attributes):
            pages.setdefault(html_escape.unescape(anchor), page)
    return pages


def page_map(document: Any) -> dict[str, int]:
    """The page (from 1) each anchor of a laid-out document begins on.

    WeasyPrint lists an element's id on every page the element spans; the first counts.
    """
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            pages.setdefault(anchor, number)
    return pages


def moved_numbers(
    targets: set[str], printed: Mapping[str, int], laid_out: Mapping[str, int]
) -> dict[str, tuple[str, int]]:
    """The slots' targets whose printed page is not the page they were laid out on.

    A target the layout has no anchor for is left to WeasyPrint, which reports its link.
    """
    return {
        target: (str(printed.get(target, UNKNOWN_PAGE)), laid_out[target])
        for target in targets
        if target in laid_out and printed.get(target) != laid_out[target]
    }
