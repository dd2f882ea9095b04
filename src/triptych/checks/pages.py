"""The page numbers a PDF prints, checked against the pages their text is really on.

The PDF prints page numbers in four places: the contents ("Outlook . . . 11"),
after a reference to a section of another article ("Outlook (p. 11)"), in
the glossary's back-references ("Used on pages 4, 7") and in the index
("Deterrence 10, 12 to 13", a range). WeasyPrint computes
them from the position of the element that carries the target's id, so a
number is wrong whenever that element begins on another page than the text a
reader looks for: a section that begins at the foot of a page whose heading
was pushed to the next one, say.

This audit does not take those positions on trust. It reads the text of every
page with its position, font and size, and the link annotations, which say
what each printed number refers to; then it looks for the target's text:

- a contents entry's heading by following its link: the first of the lines set
  as headings (bold, or larger than the body text) drawn where it lands, whatever
  the entry's words (a toctree entry may title a page otherwise than its heading);
  by its title, after the entry above, only when the link lands out of the
  contents' order;
- the heading a page reference names by the reference's own words, when they
  are the title of the heading at its destination; a reference worded otherwise
  is matched through the contents entry with the same destination, or else by
  the first heading at its destination, when the link lands right on it, when
  its words are no heading's title, or when they are the title of a section
  it belongs to (a chapter's title linking to one of its sections);
- the term use a back-reference names as the term link drawn at its
  destination, which must itself lead to the glossary entry the list belongs to
  (the last term before the list: bold lines in a definition, a note's title,
  are no destination);
- an index locator's text as the first line drawn at its destination or after
  it (the indexed passage, or the heading of the indexed section).

Every printed number must be the page that text is on, and every link carrying
one must land there.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from triptych.apparatus.index import INDEX_TITLE

if TYPE_CHECKING:
    from pathlib import Path

    from pypdf import PageObject, PdfReader

#: What the PDF prints after a reference to another article's section (``triptych_page_reference``).
DEFAULT_PAGE_REFERENCE = " (p. {page})"
#: The words that open a glossary entry's list of back-references.
BACK_REFERENCE_LEAD = re.compile(r"^Used on pages? ")
#: Hyphens that hyphenation adds where it breaks a word at a line's end.
_HYPHENATION = ("\u00ad", "\u2010")
#: What a title may gain or lose on its way to the page: spaces and those hyphens.
_NOT_COMPARED = re.compile(r"[\s\u00ad\u2010]+")
_LEADER = re.compile(r"^[\s.\u2024\u2026\u00b7]*$")
_PAGE_NUMBER = re.compile(r"^\s*(\d+)\s*$")
#: How far (in points) text may stray from a rectangle or a point and still belong to it.
_SLACK = 1.0
#: A line of headings is this much larger than the body text, or bold.
_HEADING_SIZE = 1.1


@dataclass
class PageAudit:
    """What the audit of one PDF checked, and one line for each number or link that is wrong."""

    pdf: Path
    contents_entries: int = 0
    page_references: int = 0
    back_references: int = 0
    index_locators: int = 0
    links_to_headings: int = 0
    """Other internal links to a heading found above (printing no number): where they land."""
    problems: list[str] = field(default_factory=list)

    @property
    def printed_numbers(self) -> int:
        return (
            self.contents_entries
            + self.page_references
            + self.back_references
            + self.index_locators
        )

    def problem(self, message: str) -> None:
        self.problems.append(f"{self.pdf.name}: {message}")

    def summary(self) -> str:
        return (
            f"pages    pdf      {self.printed_numbers} page numbers printed "
            f"({self.contents_entries} contents entries, {self.page_references} page references, "
            f"{self.back_references} back-references, {self.index_locators} index locators), "
            f"{self.links_to_headings} other links to "
            f"headings, {len(self.problems)} wrong"
        )


def configured_page_reference(outdir: Path) -> str:
    """The build's ``triptych_page_reference``, from its saved environment when there is one."""
    import pickle

    try:
        with (outdir / "doctrees" / "environment.pickle").open("rb") as stream:
            env = pickle.load(stream)  # the build's own file, as Sphinx reads it
        return str(env.config.triptych_page_reference)
    except (OSError, AttributeError, pickle.UnpicklingError, EOFError):
        return DEFAULT_PAGE_REFERENCE


@dataclass(frozen=True)
class TextRun:
    """A piece of text drawn in one go: its page, where it starts (PDF coordinates), its look."""

    page: int
    x: float
    baseline: float
    size: float
    bold: bool
    text: str

    @property
    def place(self) -> tuple[int, float]:
        """Its place in reading order: page, then top to bottom."""
        return (self.page, -self.baseline)


def joined(runs: list[TextRun]) -> str:
    """The text of runs in reading order, their lines joined as a reader joins them."""
    text = ""
    for previous, run in zip([None, *runs], runs, strict=False):
        new_line = previous is not None and (
            previous.page != run.page or abs(previous.baseline - run.baseline) > 0.25 * run.size
        )
        if new_line and text.endswith(_HYPHENATION):
            text = text[:-1]
        elif new_line and not text.endswith("-"):
            text += " "
        text += run.text
    return " ".join(text.split())


def title_key(text: str) -> str:
    """A title as compared: case, spaces and hyphenation left out."""
    return _NOT_COMPARED.sub("", text).casefold()


@dataclass
class Line:
    """Runs that share a baseline on one page, left to right."""

    page: int
    baseline: float
    runs: list[TextRun] = field(default_factory=list)

    @property
    def text(self) -> str:
        return joined(self.runs)

    @property
    def place(self) -> tuple[int, float]:
        return (self.page, -self.baseline)


@dataclass(frozen=True)
class Rect:
    left: float
    bottom: float
    right: float
    top: float

    @classmethod
    def of(cls, values: Any) -> Rect:
        x1, y1, x2, y2 = (float(value) for value in values)
        return cls(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))

    def holds_start_of(self, run: TextRun) -> bool:
        return (
            self.left - _SLACK <= run.x < self.right - _SLACK
            and self.bottom - _SLACK <= run.baseline <= self.top + _SLACK
        )

    def holds_point(self, x: float, y: float) -> bool:
        return (
            self.left - _SLACK <= x <= self.right + _SLACK
            and self.bottom - _SLACK <= y <= self.top + _SLACK
        )


@dataclass
class Link:
    """One link as a reader sees it: the annotations of its lines and the text inside them."""

    page: int
    """The page its text ends on, where a number printed after it stands."""
    destination: str
    rects: list[tuple[int, Rect]]
    """Each annotation's page and rectangle."""
    runs: list[TextRun] = field(default_factory=list)

    @property
    def text(self) -> str:
        return joined(self.runs)


@dataclass(frozen=True)
class Landing:
    """Where a named destination points: a page (from 1) and a point on it."""

    page: int
    x: float
    y: float

    @property
    def place(self) -> tuple[int, float]:
        return (self.page, -self.y - _SLACK)


def _is_bold(font: Any) -> bool:
    if not font:
        return False
    name = str(font.get("/BaseFont", "")).lower()
    if any(weight in name for weight in ("bold", "black", "heavy", "semibold")):
        return True
    descendants = font.get("/DescendantFonts")
    descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    weight = descriptor.get("/FontWeight")
    force_bold = 1 << 18
    return (weight is not None and float(weight) >= 600) or bool(
        int(descriptor.get("/Flags", 0)) & force_bold
    )


#: The code space of a CMap: each code is two bytes, as in ``Identity-H``.
_TWO_BYTE_CODES = re.compile(
    rb"begincodespacerange\s*<0000>\s*<ffff>\s*endcodespacerange", re.IGNORECASE
)


def read_two_byte_codes(reader: PdfReader) -> None:
    """Fonts encoded by an embedded CMap of two-byte codes are read as ``Identity-H``.

    WeasyPrint writes such a CMap for a font that lacks a glyph the text asks
    for (an emoji, a script the fonts do not cover), mapping those codes to the
    ``.notdef`` glyph. pypdf reads predefined CMaps only and splits every code
    of another into two one-byte codes, so that each character comes out with a
    NUL before it. The font's ``ToUnicode`` map is keyed by the same two-byte
    codes, so reading them as ``Identity-H`` gives the text as drawn.
    """
    from pypdf.generic import NameObject, StreamObject

    done: set[int] = set()
    for page in reader.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        for reference in (fonts.get_object() if fonts is not None else {}).values():
            font = reference.get_object()
            if id(font) in done or font.get("/Subtype") != "/Type0":
                continue
            done.add(id(font))
            encoding = font.get("/Encoding")
            stream = encoding.get_object() if encoding is not None else None
            if isinstance(stream, StreamObject) and _TWO_BYTE_CODES.search(stream.get_data()):
                font[NameObject("/Encoding")] = NameObject("/Identity-H")


class UnreadableTextError(Exception):
    """The PDF's text cannot be read as a reader sees it: nothing it prints could be checked."""


def page_runs(number: int, page: PageObject) -> list[TextRun]:
    """Every run of text drawn on page *number*: where it starts, its size, whether bold."""
    runs: list[TextRun] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text.strip():
            return
        a, b, c, d, e, f = cm
        x = tm[4] * a + tm[5] * c + e
        y = tm[4] * b + tm[5] * d + f
        scale = ((tm[2] * a + tm[3] * c) ** 2 + (tm[2] * b + tm[3] * d) ** 2) ** 0.5
        bold = _is_bold(font)
        # pypdf hands over a run that crosses lines as one text with newlines.
        for offset, piece in enumerate(text.split("\n")):
            if piece.strip():
                baseline = y - offset * size * scale
                runs.append(TextRun(number, x, baseline, size * scale, bold, piece))

    page.extract_text(visitor_text=visit)
    if any("\x00" in run.text for run in runs):
        # A code pypdf cannot decode: every check would look for text it cannot find.
        msg = f"page {number}: its text cannot be read (a font's codes come out as NUL bytes)"
        raise UnreadableTextError(msg)
    return runs


def _lines(runs: list[TextRun]) -> list[Line]:
    """The runs of one page grouped into lines, top to bottom."""
    lines: list[Line] = []
    for run in sorted(runs, key=lambda run: (-run.baseline, run.x)):
        if lines and abs(lines[-1].baseline - run.baseline) <= 0.25 * run.size:
            lines[-1].runs.append(run)
        else:
            lines.append(Line(run.page, run.baseline, [run]))
    for line in lines:
        line.runs.sort(key=lambda run: run.x)
    return lines


def _destination_name(annotation: Any) -> str | None:
    action = annotation.get("/A")
    destination = annotation.get("/Dest")
    if action is not None:
        if action.get("/S") != "/GoTo":
            return None
        destination = action.get("/D")
    if destination is None or not isinstance(destination.get_object(), str):
        return None  # an explicit destination names no target to look for
    return str(destination)


def _annotations(reader: PdfReader) -> list[tuple[int, str, Rect]]:
    """(page, destination name, rectangle) of each internal link annotation, in order."""
    found = []
    for number, page in enumerate(reader.pages, start=1):
        for reference in page.get("/Annots") or []:
            annotation = reference.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            name = _destination_name(annotation)
            if name is not None:
                found.append((number, name, Rect.of(annotation["/Rect"])))
    return found


def _continues(link: Link, page: int, rect: Rect, first_on_page: bool) -> bool:
    """Whether an annotation to the same destination is more of *link*: its next line, its rest."""
    if page != link.page:
        return page == link.page + 1 and first_on_page
    # WeasyPrint draws an annotation for the link's box and one for each inline box in it
    # (an emphasised word, the page number after it): any of them on this line may touch it.
    for drawn_on, drawn in reversed(link.rects):
        if drawn_on != page:
            break
        overlap = min(rect.top, drawn.top) - max(rect.bottom, drawn.bottom)
        if (
            overlap > 0.5 * min(rect.top - rect.bottom, drawn.top - drawn.bottom)
            and rect.left <= drawn.right + _SLACK
            and rect.right >= drawn.left - _SLACK
        ):
            return True
    last = link.rects[-1][1]
    return rect.top <= last.bottom + _SLACK and rect.left <= last.left  # wrapped


def _links(reader: PdfReader, runs: dict[int, list[TextRun]]) -> list[Link]:
    links: list[Link] = []
    previous_page = 0
    for page, name, rect in _annotations(reader):
        first_on_page = page != previous_page
        previous_page = page
        if (
            links
            and links[-1].destination == name
            and _continues(links[-1], page, rect, first_on_page)
        ):
            link = links[-1]
            link.page = page
        else:
            link = Link(page, name, [])
            links.append(link)
        link.rects.append((page, rect))
        held = {id(run) for run in link.runs}
        link.runs.extend(
            run for run in runs[page] if rect.holds_start_of(run) and id(run) not in held
        )
    for link in links:
        link.runs.sort(key=lambda run: (*run.place, run.x))
    return links


def _landings(reader: PdfReader) -> dict[str, Landing]:
    landings = {}
    for name, destination in reader.named_destinations.items():
        try:
            index = reader.get_destination_page_number(destination)
        except (KeyError, ValueError, TypeError):
            continue
        if index is None or index < 0:
            continue  # a destination on no page of this document
        page = index + 1
        left, top = destination.get("/Left"), destination.get("/Top")
        landings[str(name)] = Landing(
            page,
            float(left) if left is not None else 0.0,
            float(top) if top is not None else float("inf"),
        )
    return landings


def _leads_on(link: Link, landings: dict[str, Landing]) -> bool:
    """Whether *link* goes to a page after that of its own text (or to a place not known)."""
    landing = landings.get(link.destination)
    if landing is None or not link.runs:
        return True
    return landing.page > min(run.page for run in link.runs)


class _Text:
    """The text of a PDF, read once: lines, links, destinations, and the lines set as headings."""

    def __init__(self, reader: PdfReader) -> None:
        read_two_byte_codes(reader)
        runs = {number: page_runs(number, page) for number, page in enumerate(reader.pages, 1)}
        self.links = _links(reader, runs)
        self.landings = _landings(reader)
        sizes: Counter[float] = Counter()
        for page_runs_ in runs.values():
            for run in page_runs_:
                sizes[round(run.size, 1)] += len(run.text)
        body_size = sizes.most_common(1)[0][0] if sizes else 0.0
        self.lines = [line for number in sorted(runs) for line in _lines(runs[number])]
        self.line_places = [line.place for line in self.lines]
        self.line_of_run = {id(run): line for line in self.lines for run in line.runs}
        in_link = {id(run) for link in self.links for run in link.runs}
        self.runs_in_links = in_link
        # A line in a link to a later page is a contents line or a reference, not a heading;
        # a heading may be a link too: to itself (autodoc's module titles), or to a list of
        # contents on its own page (docutils' ``contents`` with back-links).
        leading_on = {
            id(run) for link in self.links if _leads_on(link, self.landings) for run in link.runs
        }
        #: Index in self.lines of each line set as a heading (or a glossary term), in order.
        self.heading_indexes = [
            index
            for index, line in enumerate(self.lines)
            if not any(id(run) in leading_on for run in line.runs)
            and (
                all(run.bold for run in line.runs)
                or all(run.size > _HEADING_SIZE * body_size for run in line.runs)
            )
        ]
        self.headings = [self.lines[index] for index in self.heading_indexes]
        self.heading_places = [line.place for line in self.headings]
        self.heading_keys = [title_key(line.text) for line in self.headings]
        self.heading_order = {id(line): index for index, line in enumerate(self.headings)}
        #: Headings a named destination lands on (terms, sections), found when first asked.
        self.landed_headings: set[int] | None = None

    def headings_titled(self, title: str) -> list[Line]:
        """The first line of each heading whose text, over one line or more, is *title*."""
        wanted = title_key(title)
        found = []
        for index, line in enumerate(self.headings):
            text = self.heading_keys[index]
            following = index + 1
            while (
                text != wanted
                and wanted.startswith(text)
                and following < len(self.headings)
                and self.heading_indexes[following] == self.heading_indexes[following - 1] + 1
                and self.headings[following].page == line.page
            ):
                text += self.heading_keys[following]
                following += 1
            if text == wanted:
                found.append(line)
        return found

    def line_at(self, landing: Landing) -> Line | None:
        """The first line drawn at a destination or after it, in reading order."""
        index = bisect.bisect_left(self.line_places, landing.place)
        return self.lines[index] if index < len(self.lines) else None

    def heading_at(self, landing: Landing) -> Line | None:
        """The first heading at a destination or after it, in reading order."""
        index = bisect.bisect_left(self.heading_places, landing.place)
        return self.headings[index] if index < len(self.headings) else None

    def heading_landed_on(self, landing: Landing) -> Line | None:
        """The heading drawn right at a destination: on its page, its first line below the point.

        A destination whose element begins at a page's foot while its heading was pushed
        to the next page lands on no heading.
        """
        heading = self.heading_at(landing)
        if (
            heading is not None
            and heading.page == landing.page
            and landing.y - heading.baseline <= 2 * max(run.size for run in heading.runs)
        ):
            return heading
        return None

    def encloses(self, outer: Line, inner: Line) -> bool:
        """Whether heading *inner* comes after heading *outer*, in its section.

        A section lasts until the next heading set at least as large as its own;
        headings of one size tell no nesting apart, so they enclose nothing.
        """
        start, end = self.heading_order[id(outer)], self.heading_order[id(inner)]
        if end <= start:
            return False
        size = min(run.size for run in outer.runs)
        return all(
            max(run.size for run in line.runs) < size - 0.1
            for line in self.headings[start + 1 : end + 1]
        )

    def entry_holds(self, entry: Line, line: Line) -> bool:
        """Whether *line* belongs to the entry headed by *entry*: no other entry begins between.

        Bold lines inside a definition (a note's title) are set as headings too, but no
        destination lands on them, as one lands on every term.
        """
        if entry.place >= line.place:
            return False
        if self.landed_headings is None:
            self.landed_headings = set()
            for landing in self.landings.values():
                if (heading := self.heading_landed_on(landing)) is not None:
                    self.landed_headings.add(id(heading))
        start = self.heading_order[id(entry)] + 1
        end = bisect.bisect_left(self.heading_places, line.place)
        return not any(id(heading) in self.landed_headings for heading in self.headings[start:end])

    def heading_block_before(self, line: Line) -> list[Line]:
        """The heading lines, one after another, nearest above *line* (a glossary entry's terms)."""
        index = bisect.bisect_left(self.heading_places, line.place) - 1
        block: list[Line] = []
        while index >= 0 and (
            not block or self.heading_indexes[index] == self.heading_indexes[index + 1] - 1
        ):
            block.insert(0, self.headings[index])
            index -= 1
        return block

    def link_drawn_at(self, landing: Landing, besides: Link) -> Link | None:
        """The link whose text is drawn at a destination: the one that starts nearest to it."""
        nearest: tuple[float, Link] | None = None
        for link in self.links:
            if link is besides:
                continue
            for page, rect in link.rects:
                if (
                    page == landing.page
                    and rect.holds_point(landing.x, landing.y)
                    and any(rect.holds_start_of(run) for run in link.runs)
                ):
                    distance = abs(rect.left - landing.x) + abs(rect.top - landing.y)
                    if nearest is None or distance < nearest[0]:
                        nearest = (distance, link)
        return nearest[1] if nearest is not None else None


def _contents_entry(link: Link) -> tuple[str, int] | None:
    """(title, printed page) of a contents entry: a title, a dotted leader, a number."""
    runs = link.runs
    if len(runs) < 3 or not (number := _PAGE_NUMBER.match(runs[-1].text)):
        return None
    leaders = {id(run) for run in runs[:-1] if _LEADER.match(run.text)}
    if len(leaders) < 2:
        return None
    title = joined([run for run in runs[:-1] if id(run) not in leaders])
    return (title, int(number[1])) if title else None


def _page_reference_pattern(template: str) -> re.Pattern[str]:
    before, _, after = template.partition("{page}")

    def loose(text: str) -> str:
        return r"\s*".join(re.escape(part) for part in text.split())

    return re.compile(rf"^(?P<title>.+?)\s*{loose(before)}\s*(?P<page>\d+)\s*{loose(after)}\s*$")


class _Auditor:
    def __init__(self, pdf: Path, page_reference: str) -> None:
        from pypdf import PdfReader

        self.audit = PageAudit(pdf)
        self.text = _Text(PdfReader(pdf))
        self.reference = _page_reference_pattern(page_reference)
        #: Destination → (title, page of its heading) of every heading found.
        self.headings: dict[str, tuple[str, int]] = {}
        self.checked: set[int] = set()

    def check(self, kind: str, link: Link, printed: int, true_page: int, what: str) -> None:
        """One line if the printed number, or the page the link lands on, is not *true_page*."""
        self.checked.add(id(link))
        landing = self.text.landings.get(link.destination)
        if landing is None:
            self.audit.problem(f"{kind} links to {link.destination!r}, which the PDF lacks")
            return
        wrong = []
        if printed != true_page:
            wrong.append(f"says page {printed}")
        if landing.page != true_page:
            wrong.append(f"links to page {landing.page}")
        if wrong:
            self.audit.problem(f"{kind} {' and '.join(wrong)}, {what} on page {true_page}")

    def contents(self) -> None:
        after = (1, float("-inf"))
        for link in self.text.links:
            if (entry := _contents_entry(link)) is None:
                continue
            title, printed = entry
            self.audit.contents_entries += 1
            kind = f'contents entry "{title}"'
            heading = self.listed_heading(link, title, after)
            if heading is None:
                self.checked.add(id(link))
                self.audit.problem(f"{kind}: no heading of that title after page {after[0]}")
                continue
            after = heading.place
            self.headings[link.destination] = (title, heading.page)
            self.check(kind, link, printed, heading.page, "its heading is")

    def listed_heading(self, link: Link, title: str, after: tuple[int, float]) -> Line | None:
        """The heading a contents entry lists, found as a reader finds it: by following its link.

        The heading drawn where the link lands (on that page, or at the head of the next,
        where a section begun at a page's foot has its heading pushed) is the one listed,
        whatever the entry's words: a toctree entry may be titled otherwise than its page
        ("Code coverage <cov>"), and another heading, a part's title page or a glossary
        term may bear the entry's words. The contents list headings in reading order, so a
        link landing before the entry above it (or nowhere) is wrong: the entry's heading
        is then looked for by its title, after the heading of the entry above.
        """
        landing = self.text.landings.get(link.destination)
        at_landing = self.text.heading_at(landing) if landing is not None else None
        if (
            landing is not None
            and at_landing is not None
            and at_landing.place > after
            and (
                at_landing.page <= landing.page + 1
                or any(line is at_landing for line in self.text.headings_titled(title))
            )
        ):
            return at_landing
        found = [line for line in self.text.headings_titled(title) if line.place > after]
        return found[0] if found else None

    def page_references(self) -> None:
        for link in self.text.links:
            if id(link) in self.checked or not (match := self.reference.match(link.text)):
                continue
            self.audit.page_references += 1
            kind = f'page {link.page}: reference "{link.text}"'
            heading = self.referenced_heading(link, match["title"])
            if heading is None:
                self.checked.add(id(link))
                self.audit.problem(f"{kind}: no heading found for it")
                continue
            self.headings.setdefault(link.destination, heading)
            self.check(kind, link, int(match["page"]), heading[1], "its heading is")

    def referenced_heading(self, link: Link, title: str) -> tuple[str, int] | None:
        """(title, page) of the heading a page reference names."""
        candidates = self.text.headings_titled(title)
        listed = self.headings.get(link.destination)
        landing = self.text.landings.get(link.destination)
        at_landing = self.text.heading_at(landing) if landing is not None else None
        landed_on = self.text.heading_landed_on(landing) if landing is not None else None
        if at_landing is not None and any(line is at_landing for line in candidates):
            return (at_landing.text, at_landing.page)
        if listed is not None:
            # A destination the contents list: its entry was found under its own title,
            # whatever the reference's words ("GitHub Actions" for "GitHub Actions integration").
            return listed
        if at_landing is not None and (
            not candidates
            or at_landing is landed_on
            or any(self.text.encloses(line, at_landing) for line in candidates)
        ):
            # Worded otherwise than its heading ("virtual environment" for "Creating
            # Virtual Environments"), or by the title of the section the heading belongs
            # to ("Using the tool" for a section of that chapter). A link that lands right
            # on a heading names that heading, though other headings or glossary terms
            # bear the reference's words ("specification" for "The .pypirc file").
            return (at_landing.text, at_landing.page)
        if not candidates:
            return None
        if len(candidates) == 1:
            return (title, candidates[0].page)
        near = landing.page if landing is not None else link.page
        return (title, min(candidates, key=lambda line: abs(line.page - near)).page)

    def back_references(self) -> None:
        for link in self.text.links:
            if not (number := _PAGE_NUMBER.match(link.text)) or len(link.runs) != 1:
                continue
            line = self.text.line_of_run[id(link.runs[0])]
            if not BACK_REFERENCE_LEAD.match(line.text):
                continue
            self.audit.back_references += 1
            terms = self.text.heading_block_before(line)
            term = terms[-1].text if terms else "?"
            kind = f'page {link.page}: back-reference {number[1]} of "{term}"'
            landing = self.text.landings.get(link.destination)
            use = self.text.link_drawn_at(landing, link) if landing is not None else None
            if landing is None or use is None:
                self.checked.add(id(link))
                self.audit.problem(f"{kind}: no term is drawn where it links to")
                continue
            entry_landing = self.text.landings.get(use.destination)
            entry = self.text.heading_at(entry_landing) if entry_landing is not None else None
            if entry is not None and self.text.entry_holds(entry, line):
                terms = [entry]
            if entry is None or all(entry is not term for term in terms):
                self.checked.add(id(link))
                used = entry.text if entry is not None else use.destination
                self.audit.problem(f'{kind} links to a use of "{used}" on page {landing.page}')
                continue
            self.check(kind, link, int(number[1]), landing.page, "the term is used")

    def index_locators(self) -> None:
        """The numbers of the index chapter: each is the page where the text it points to begins."""
        starts = [page for title, page in self.headings.values() if title == INDEX_TITLE]
        if not starts:
            return
        first_page = max(starts)
        for link in self.text.links:
            if (
                id(link) in self.checked
                or link.page < first_page
                or not (number := _PAGE_NUMBER.match(link.text))
            ):
                continue
            self.audit.index_locators += 1
            line = self.text.line_of_run[id(link.runs[0])]
            entry = joined(
                list(
                    itertools.takewhile(
                        lambda run: id(run) not in self.text.runs_in_links, line.runs
                    )
                )
            ).strip(" ,")
            kind = f'page {link.page}: index locator {number[1]} of "{entry}"'
            landing = self.text.landings.get(link.destination)
            indexed = self.text.line_at(landing) if landing is not None else None
            if indexed is None:
                self.check(kind, link, int(number[1]), -1, "the text it indexes is")
                continue
            self.check(kind, link, int(number[1]), indexed.page, "the text it indexes begins")

    def other_links_to_headings(self) -> None:
        for link in self.text.links:
            if id(link) in self.checked or link.destination not in self.headings:
                continue
            self.audit.links_to_headings += 1
            title, page = self.headings[link.destination]
            self.check(f'page {link.page}: link "{link.text}"', link, page, page, f'"{title}" is')


def audit_page_numbers(pdf: Path, page_reference: str = DEFAULT_PAGE_REFERENCE) -> PageAudit:
    """Check every page number *pdf* prints, and the link that carries it, against its text.

    *page_reference* is the publication's ``triptych_page_reference``: how the
    number after a reference to another article is printed.
    """
    try:
        auditor = _Auditor(pdf, page_reference)
    except UnreadableTextError as error:
        audit = PageAudit(pdf)
        audit.problem(f"{error}; no page number was checked")
        return audit
    auditor.contents()
    auditor.page_references()
    auditor.back_references()
    auditor.index_locators()
    auditor.other_links_to_headings()
    return auditor.audit
