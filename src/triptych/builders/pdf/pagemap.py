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
can break a line differently and move what follows. A book whose numbers do
not settle within the builder's passes fails with :class:`PagesNotSettled`;
it never prints a number that is not the page of its target.
"""

from __future__ import annotations

import html as html_escape
import re
from typing import TYPE_CHECKING, Any

from triptych.builders.pdf.assembly import PAGE_NUMBER_CLASS, PAGE_REFERENCE_CLASS
from triptych.diagnostics import PdfRenderError

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The class the print template gives the links of the contents.
CONTENTS_LINK_CLASS = "triptych-contents-link"
SLOT_CLASSES = frozenset({PAGE_REFERENCE_CLASS, PAGE_NUMBER_CLASS, CONTENTS_LINK_CLASS})
#: What the slots print before the first layout has given them a page: three figures, so that
#: most lines are as wide as they will be.
UNKNOWN_PAGE = "000"

# The print HTML is written by triptych's translator and template, which escape ``>`` and
# ``"`` in attribute values, so an opening tag ends at the first ``>``.
_OPENING_A = re.compile(r"<a\s[^>]*>")
_ATTRIBUTE = re.compile(r'\s([a-zA-Z-]+)="([^"]*)"')


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
    attributes = dict(_ATTRIBUTE.findall(tag))
    if not SLOT_CLASSES.intersection(attributes.get("class", "").split()):
        return None
    href = html_escape.unescape(attributes.get("href", ""))
    return href[1:] if href.startswith("#") else None


def slot_targets(print_html: str) -> set[str]:
    """The anchors whose pages *print_html* prints."""
    return {
        target
        for match in _OPENING_A.finditer(print_html)
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

    return _OPENING_A.sub(fill, print_html)


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
