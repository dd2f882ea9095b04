"""The book laid out in parts: front matter, groups of chapters, back matter.

WeasyPrint lays out one document on one core, and keeps every laid-out page in
memory until it writes the PDF. The book is therefore cut, at chapter
boundaries, into parts of about :data:`CHARACTERS_PER_PAGE` times
``triptych_pdf_part_pages`` characters, each laid out on its own (side by side
with ``-j``) and stitched (:mod:`.stitch`).

Each part is laid out knowing the page it starts on: its footers count from it
(``@page :first { counter-reset: page N }``), and a link to an anchor another
part lays out points at :func:`.stitch.destination_uri`, which the stitching
turns into a link to the named destination. A link to an anchor no part has is
left as it is, so WeasyPrint reports it.
"""

from __future__ import annotations

import html as html_escape
import logging as stdlib_logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from triptych.builders.pdf.floats import holes
from triptych.builders.pdf.layout import separated_footnotes
from triptych.builders.pdf.numerals import (
    INCOMPLETE,
    PartNumerals,
    find_numerals,
    write_numbers,
)
from triptych.builders.pdf.pagemap import page_map
from triptych.builders.pdf.stitch import destination_uri

if TYPE_CHECKING:
    from collections.abc import Callable

    from docutils import nodes

    from triptych.builders.pdf.layout import PrintLayout

#: About how many characters of text a page of the book holds (prose, headings, code).
CHARACTERS_PER_PAGE = 3000

#: The part with the title page, the imprint and the contents.
FRONT_PART = "front"
#: The part with what follows the articles (the index).
BACK_PART = "back"

_ID = re.compile(r'\sid="([^"]*)"')
_INTERNAL_HREF = re.compile(r'(<a\b[^>]*?\shref=")#([^"]*)(")')
_HEAD_END = "</head>"


@dataclass
class PartPlan:
    """Which elements of the book's body a part lays out."""

    name: str
    elements: list[nodes.Element] = field(default_factory=list)
    #: The part with the title page and the contents.
    front: bool = False
    characters: int = 0


def plan_parts(
    body: list[nodes.Element],
    back_matter: list[nodes.Element],
    part_pages: int,
    opens_part: Callable[[nodes.Element], bool],
) -> list[PartPlan]:
    """The parts of the book, in order: front matter, chapter groups, back matter.

    *body* is cut once a group holds *part_pages* pages of text, before a chapter, never
    after an element that opens a part of the book (its title page goes with what follows).
    """
    target = max(1, part_pages) * CHARACTERS_PER_PAGE
    plans = [PartPlan(FRONT_PART, front=True)]
    current: PartPlan | None = None
    previous: nodes.Element | None = None
    for element in body:
        may_cut = previous is None or not opens_part(previous)
        if current is None or (may_cut and current.characters >= target):
            current = PartPlan(f"part-{len(plans)}")
            plans.append(current)
        current.elements.append(element)
        current.characters += len(element.astext())
        previous = element
    if back_matter:
        characters = sum(len(matter.astext()) for matter in back_matter)
        plans.append(PartPlan(BACK_PART, list(back_matter), characters=characters))
    return plans


def element_ids(part_html: str) -> set[str]:
    return {html_escape.unescape(value) for value in _ID.findall(part_html)}


def with_links_across_parts(part_html: str, own_ids: set[str], book_ids: set[str]) -> str:
    """*part_html* with its links to anchors of other parts pointed at named destinations."""

    def point(match: re.Match[str]) -> str:
        target = html_escape.unescape(match.group(2))
        if target in own_ids or target not in book_ids:
            return match.group(0)
        return match.group(1) + html_escape.escape(destination_uri(target)) + match.group(3)

    return _INTERNAL_HREF.sub(point, part_html)


def starting_at(part_html: str, first_page: int) -> str:
    """*part_html* whose page footers count from *first_page*."""
    if first_page == 1:
        return part_html
    rule = f"<style>@page :first {{ counter-reset: page {first_page}; }}</style>\n"
    head, found, rest = part_html.partition(_HEAD_END)
    return head + rule + found + rest if found else rule + part_html


@dataclass(frozen=True)
class PartLayout:
    """What laying out a part gave: its PDF and what the book needs to know of its pages."""

    name: str
    key: str
    pdf: bytes
    pages: int
    #: The page (from 1, within the part) each anchor begins on.
    anchors: dict[str, int]
    #: The level of each bookmark, in reading order.
    outline_levels: list[int]
    #: Figure number → text blocks to move it past (see :mod:`.floats`).
    holes: dict[int, int]
    #: The footnote rules the part was last laid out with, and those given.
    keep_rules: list[str]
    given_rules: list[str]
    #: (page within the part, note id) for each footnote still apart from its call.
    separated: list[tuple[int, str]]
    #: (level, message) of what WeasyPrint logged.
    problems: list[tuple[int, str]]
    error: str = ""
    #: The numbers it prints, so that new ones can be written in their place (:mod:`.numerals`).
    numerals: PartNumerals = INCOMPLETE

    def details(self) -> dict[str, Any]:
        """What is kept beside the part's PDF."""
        return {
            "anchors": self.anchors,
            "outline_levels": self.outline_levels,
            "holes": {str(number): count for number, count in self.holes.items()},
            "keep_rules": self.keep_rules,
            "given_rules": self.given_rules,
            "separated": self.separated,
            "numerals": self.numerals.kept(),
        }

    @classmethod
    def kept(
        cls, name: str, key: str, pdf: bytes, pages: int, details: dict[str, Any]
    ) -> PartLayout:
        return cls(
            name, key, pdf, pages,
            anchors={str(k): int(v) for k, v in details["anchors"].items()},
            outline_levels=[int(level) for level in details["outline_levels"]],
            holes={int(k): int(v) for k, v in details["holes"].items()},
            keep_rules=[str(rule) for rule in details["keep_rules"]],
            given_rules=[str(rule) for rule in details["given_rules"]],
            separated=[(int(page), str(note)) for page, note in details["separated"]],
            problems=[],
            numerals=PartNumerals.from_kept(details["numerals"]),
        )  # fmt: skip

    def problem_records(self) -> list[stdlib_logging.LogRecord]:
        """What WeasyPrint logged, as the records the builder reports."""
        return [problem_record(level, message) for level, message in self.problems]


def problem_record(level: int, message: str) -> stdlib_logging.LogRecord:
    """A record of WeasyPrint's logger, as a layout in this process would have logged it."""
    return stdlib_logging.makeLogRecord(
        {"name": "weasyprint", "levelno": level, "levelname": stdlib_logging.getLevelName(level),
         "msg": message}
    )  # fmt: skip


def lay_out_part(
    layout: PrintLayout,
    *,
    name: str,
    key: str,
    html: str,
    keep_rules: list[str],
    pairs: list[tuple[str, str]],
    max_layouts: int,
    first_page: int = 1,
) -> PartLayout:
    """One part laid out, its footnotes kept on their calls' pages (within *max_layouts*),
    with the numbers it prints found in its PDF (its footers count from *first_page*)."""
    layout.keep_rules = list(keep_rules)
    layout.problems.clear()
    document = layout.render(html)
    for _layouts in range(1, max_layouts):
        if not layout.keep_footnotes_with_calls(document, pairs):
            break
        del document
        document = layout.render(html)
    pdf = layout.write(document)
    numerals = find_numerals(document, pdf, first_page)
    if numerals.complete and numerals.numerals:
        # Its numbers written as any later writing of others over them would be: a part
        # renumbered is the part laid out with those numbers, byte for byte.
        canonical = write_numbers(
            pdf, numerals, [numeral.shown for numeral in numerals.numerals], every_one=True
        )
        if canonical is not None:
            pdf, numerals = canonical
    seen: set[str] = set()
    problems = []
    for record in layout.problems:
        if (message := record.getMessage()) not in seen:
            seen.add(message)
            problems.append((record.levelno, message))
    layout.problems.clear()
    return PartLayout(
        name=name,
        key=key,
        pdf=pdf,
        pages=len(document.pages),
        anchors=page_map(document),
        outline_levels=[int(bookmark[0]) for page in document.pages for bookmark in page.bookmarks],
        holes=holes(document),
        keep_rules=list(layout.keep_rules),
        given_rules=list(keep_rules),
        separated=separated_footnotes(document, pairs),
        problems=problems,
        numerals=numerals,
    )
