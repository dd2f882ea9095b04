"""Page numbers written into a laid-out part's PDF, in place of those it was laid out with.

A part prints page numbers in two places: its page slots (:mod:`.pagemap`: contents,
page references, back-references, index locators) and its footers, which count from
the page the part starts on. Until the book is laid out, both are guesses, and every
part would be laid out a second time to print the true ones.

The bundled fonts' figures are tabular: every figure has the same advance, and a
number with as many figures as the guess takes as much room. So when a part's print
HTML differs from the one it was laid out with only in the values of its numbers, and
each new number has as many figures as the old, its layout is the same: the numbers'
glyphs are written over the old ones in the page's content stream, and the part is not
laid out again.

:func:`find_numerals` runs where the part was laid out, on WeasyPrint's boxes and the
PDF it wrote: each number's text box gives its page, position and figures, and the
text object drawn at that position in the page's content stream gives the bytes of
its glyphs. A number that cannot be found so (drawn inside a form, in a font without
a Unicode map, amid other figures) makes the part's numbers incomplete: such a part is
laid out again, as it would be without this module. :func:`write_numbers` writes
new values, or says that they do not fit.
"""

from __future__ import annotations

import html as html_escape
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from triptych.builders.pdf.pagemap import ATTRIBUTE, CONTENTS_LINK_CLASS, OPENING_LINK, SLOT_CLASSES
from triptych.builders.pdf.stitch import DESTINATION_SCHEME

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

#: A page's own number, in a numeral's ``target``.
FOOTER = ""
_DIGITS = re.compile(r"\d+")
_FIGURES = frozenset("0123456789")
_HEX_STRING = re.compile(rb"<([0-9a-fA-F]*)>")
_FONT = re.compile(rb"^/(\S+) \S+ Tf$")
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.DOTALL)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.DOTALL)
_HEX = re.compile(rb"<([0-9a-fA-F]+)>")
# The part's print HTML without its numbers: what must not change for new numbers to be
# written in place.
_DATA_PAGE = re.compile(r' data-page="\d+"')
_COUNTER_RESET = re.compile(r"<style>@page :first \{ counter-reset: page \d+; \}</style>\n")


@dataclass(frozen=True)
class Numeral:
    """A number a part prints: where its glyphs are, and what it prints the page of."""

    #: The page, from 0, within the part.
    page: int
    #: Where each figure's glyph (four hexadecimal digits) is in the page's content stream.
    offsets: tuple[int, ...]
    #: The page's font resource it is drawn in.
    font: str
    #: The anchor whose page it prints, or :data:`FOOTER` for the page's own number.
    target: str
    #: The figures it prints.
    shown: str
    #: Whether it may print fewer figures than laid out, the room they took left blank
    #: before it: a number that ends a contents line, or a page's own number.
    aligned: bool = False

    def kept(self) -> list[Any]:
        return [self.page, list(self.offsets), self.font, self.target, self.shown, self.aligned]

    @classmethod
    def from_kept(cls, kept: list[Any]) -> Numeral:
        page, offsets, font, target, shown, aligned = kept
        return cls(
            int(page), tuple(int(o) for o in offsets), str(font), str(target), str(shown),
            bool(aligned),
        )  # fmt: skip


@dataclass(frozen=True)
class PartNumerals:
    """Every number a laid-out part prints, and the figures each of its fonts holds."""

    numerals: tuple[Numeral, ...]
    #: Font resource → figure → glyph id, for the figures the part's subset of it holds.
    glyphs: dict[str, dict[str, int]]
    #: Whether every number the layout printed was found.
    complete: bool
    #: Font resource → the advance of its figures, in thousandths of the font's size.
    advances: dict[str, float] = field(default_factory=dict)

    def kept(self) -> dict[str, Any]:
        return {
            "numerals": [numeral.kept() for numeral in self.numerals],
            "glyphs": self.glyphs,
            "complete": self.complete,
            "advances": self.advances,
        }

    @classmethod
    def from_kept(cls, kept: Mapping[str, Any]) -> PartNumerals:
        return cls(
            tuple(Numeral.from_kept(numeral) for numeral in kept["numerals"]),
            {
                str(font): {str(figure): int(glyph) for figure, glyph in figures.items()}
                for font, figures in kept["glyphs"].items()
            },
            bool(kept["complete"]),
            {str(font): float(advance) for font, advance in kept["advances"].items()},
        )


INCOMPLETE = PartNumerals((), {}, complete=False)


def without_numbers(part_html: str, keep_rules: list[str]) -> str:
    """What a part's layout depends on besides its numbers' values and the settings: its
    print HTML without them, and its footnote rules (see the module's docstring)."""
    masked = _DATA_PAGE.sub(' data-page=""', _COUNTER_RESET.sub("", part_html))
    return "\0".join([masked, *keep_rules])


def _pdf_number(value: float) -> bytes:
    """*value* as pydyf writes it into a content stream."""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)).encode()
        return f"{value:f}".rstrip("0").encode()
    return str(value).encode()


@dataclass(frozen=True)
class _Printed:
    page: int
    x: float
    y: float
    figures: str
    target: str
    aligned: bool


def _slot_target(href: str) -> str | None:
    """The anchor a slot's link names: in its part (``#id``) or another (:mod:`.stitch`)."""
    if href.startswith("#"):
        return href[1:]
    if href.startswith(DESTINATION_SCHEME):
        return unquote(href.removeprefix(DESTINATION_SCHEME))
    return None


def printed_figures(part_html: str) -> dict[str, str]:
    """The figures each page slot of *part_html* prints, by the anchor it names."""
    printed = {}
    for match in OPENING_LINK.finditer(part_html):
        attributes = dict(ATTRIBUTE.findall(match.group(0)))
        if not SLOT_CLASSES.intersection(attributes.get("class", "").split()):
            continue
        target = _slot_target(html_escape.unescape(attributes.get("href", "")))
        figures = attributes.get("data-page", "")
        if target is not None and figures.isdigit():
            printed[target] = figures
    return printed


def printed_numbers(part_html: str) -> dict[str, int]:
    """The page each page slot of *part_html* prints, by the anchor it names."""
    return {target: int(figures) for target, figures in printed_figures(part_html).items()}


def _text_boxes(box: Any, in_margin: bool = False) -> Iterator[tuple[Any, bool]]:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        yield box, in_margin
        return
    in_margin = in_margin or isinstance(box, boxes.MarginBox)
    for child in getattr(box, "children", ()):
        yield from _text_boxes(child, in_margin)


def _numbers_in_boxes(document: Any, first_page: int) -> list[_Printed] | None:
    """The numbers WeasyPrint's boxes print, or None when one is not a number alone."""
    found: list[_Printed] = []
    for index, page in enumerate(document.pages):
        own_number = str(first_page + index)
        for box, in_margin in _text_boxes(page._page_box):
            groups = _DIGITS.findall(box.text)
            if not groups:
                continue
            x, y = box.position_x, box.position_y + box.baseline
            if in_margin:
                if box.text.strip() == own_number:
                    found.append(_Printed(index, x, y, own_number, FOOTER, aligned=True))
                elif own_number in groups:
                    return None  # the page's number amid other text
                continue
            element = box.element
            if not str(box.element_tag).endswith("::after") or element is None:
                continue
            classes = str(element.get("class", "")).split()
            if not SLOT_CLASSES.intersection(classes):
                continue
            shown = str(element.get("data-page", ""))
            target = _slot_target(html_escape.unescape(str(element.get("href", ""))))
            if groups != [shown] or target is None:
                return None
            found.append(_Printed(index, x, y, shown, target, CONTENTS_LINK_CLASS in classes))
    return found


def _unicode_map(font: Any) -> dict[int, str]:
    """Glyph id → text, from a font's ``/ToUnicode`` CMap."""
    cmap = font.get("/ToUnicode")
    if cmap is None:
        return {}
    data = cmap.read_bytes()
    mapped: dict[int, str] = {}
    for block in _BFCHAR.findall(data):
        codes = _HEX.findall(block)
        for glyph, text in zip(codes[::2], codes[1::2], strict=False):
            mapped[int(glyph, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be", "replace")
    for block in _BFRANGE.findall(data):
        codes = _HEX.findall(block)
        for low, high, text in zip(codes[::3], codes[1::3], codes[2::3], strict=False):
            start = int.from_bytes(bytes.fromhex(text.decode()), "big")
            for glyph in range(int(low, 16), int(high, 16) + 1):
                mapped[glyph] = chr(start + glyph - int(low, 16))
    return mapped


def _glyphs_after(content: bytes, start: int) -> list[tuple[int, int, str]]:
    """(offset, glyph id, font resource) of each glyph of the text object at *start*."""
    end = content.find(b"\nET", start)
    glyphs: list[tuple[int, int, str]] = []
    font = ""
    position = start
    for line in content[start:end].split(b"\n"):
        if line.endswith(b" Tf"):
            match = _FONT.match(line)
            font = match.group(1).decode() if match else ""
        elif line.endswith((b" TJ", b" Tj")):
            for string in _HEX_STRING.finditer(line):
                hexes = string.group(1)
                if len(hexes) % 4:
                    return []  # a one-byte font: not one of the bundled ones
                base = position + string.start(1)
                for step in range(0, len(hexes), 4):
                    glyphs.append((base + step, int(hexes[step : step + 4], 16), font))
        position += len(line) + 1
    return glyphs


def _numeral_drawn(
    content: bytes,
    number: _Printed,
    fonts: Mapping[str, Any],
    unicode_maps: dict[str, dict[int, str]],
) -> Numeral | None:
    """*number* where the page's *content* draws it; None when it cannot be told apart."""
    matrix = b"BT\n1 0 0 -1 %s %s Tm\n" % (_pdf_number(number.x), _pdf_number(number.y))
    start = content.find(matrix)
    if start < 0 or content.find(matrix, start + 1) >= 0:
        return None  # drawn elsewhere (a form), or at the same place as another text
    drawn = _glyphs_after(content, start)
    text = []
    for _offset, glyph, font in drawn:
        if font not in unicode_maps:
            resource = fonts.get(font)
            unicode_maps[font] = {} if resource is None else _unicode_map(resource)
        text.append(unicode_maps[font].get(glyph, "\ufffd"))
    if any(len(character) != 1 for character in text):
        return None  # a ligature: characters and glyphs not one for one
    runs = list(_DIGITS.finditer("".join(text)))
    if [run.group(0) for run in runs] != [number.figures]:
        return None
    figures = drawn[runs[0].start() : runs[0].end()]
    font = figures[0][2]
    if any(glyph_font != font for _offset, _glyph, glyph_font in figures):
        return None
    offsets = tuple(offset for offset, _glyph, _font in figures)
    return Numeral(number.page, offsets, font, number.target, number.figures, number.aligned)


def bundled_figures(fonts_dir: Path) -> dict[str, dict[str, int]]:
    """The glyph of each figure of each bundled font whose figures are tabular, by the
    SHA-256 of the font file."""
    import hashlib

    from fontTools.ttLib import TTFont

    figures: dict[str, dict[str, int]] = {}
    for path in sorted(fonts_dir.glob("*.ttf")):
        data = path.read_bytes()
        font = TTFont(io.BytesIO(data), lazy=True)
        cmap = font.getBestCmap()
        names = {figure: cmap.get(ord(figure)) for figure in sorted(_FIGURES)}
        if None in names.values():
            continue
        if len({font["hmtx"][name][0] for name in names.values()}) != 1:
            continue  # proportional figures: each number is as wide as its own figures
        digest = hashlib.sha256(data).hexdigest()
        figures[digest] = {figure: font.getGlyphID(name) for figure, name in names.items()}
    return figures


def _with_every_figure(fonts: Mapping[str, Any], figures: Mapping[str, dict[str, int]]) -> None:
    """Every bundled font that draws a figure also holds the other nine, as wide: a number
    written over another later finds its glyphs in the font's subset."""
    import hashlib

    for font in fonts.values():
        drawn = [glyph for glyph, text in font.to_unicode.items() if text in _FIGURES]
        if not drawn or getattr(font, "bitmap", False):
            continue
        glyphs = figures.get(hashlib.sha256(font.file_content).hexdigest())
        if glyphs is None:
            continue
        width = font.widths[drawn[0]]
        for figure, glyph in glyphs.items():
            if glyph not in font.to_unicode:
                font.to_unicode[glyph] = figure
                font.widths[glyph] = width
        # In glyph order, not in the order the page drew them: a part whose guessed numbers
        # were written over holds the Unicode map a layout of the true ones gives.
        font.to_unicode = dict(sorted(font.to_unicode.items()))


@contextmanager
def every_figure_in_fonts(figures: Mapping[str, dict[str, int]]) -> Iterator[None]:
    """While a PDF is written, the fonts it embeds hold every figure (see
    :func:`_with_every_figure`), put in WeasyPrint's font dictionaries before they are
    built (WeasyPrint's ``pdf.build_fonts_dictionary``; pyproject bounds WeasyPrint)."""
    import weasyprint.pdf as weasyprint_pdf

    original = getattr(weasyprint_pdf, "build_fonts_dictionary", None)
    if original is None or not figures:
        yield
        return

    def build(pdf: Any, fonts: Mapping[str, Any], *arguments: Any) -> Any:
        _with_every_figure(fonts, figures)
        return original(pdf, fonts, *arguments)

    weasyprint_pdf.build_fonts_dictionary = build
    try:
        yield
    finally:
        weasyprint_pdf.build_fonts_dictionary = original


def find_numerals(document: Any, pdf: bytes, first_page: int) -> PartNumerals:
    """Every number the laid-out *document* printed, found in its *pdf*."""
    import pikepdf

    printed = _numbers_in_boxes(document, first_page)
    if printed is None:
        return INCOMPLETE
    by_page: dict[int, list[_Printed]] = {}
    for number in printed:
        by_page.setdefault(number.page, []).append(number)
    numerals: list[Numeral] = []
    glyphs: dict[str, dict[str, int]] = {}
    unicode_maps: dict[str, dict[int, str]] = {}
    fonts_by_name: dict[str, Any] = {}
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        for index, numbers in sorted(by_page.items()):
            page = opened.pages[index]
            contents = page.obj.get("/Contents")
            if not isinstance(contents, pikepdf.Stream):
                return INCOMPLETE
            content = contents.read_bytes()
            resources: Any = page.obj.get("/Resources", {})
            fonts: Any = resources.get("/Font", {})
            for name, resource in fonts.items():
                fonts_by_name.setdefault(str(name).removeprefix("/"), resource)
            for number in numbers:
                numeral = _numeral_drawn(content, number, fonts_by_name, unicode_maps)
                if numeral is None:
                    return INCOMPLETE
                numerals.append(numeral)
        advances: dict[str, float] = {}
        for font in sorted({numeral.font for numeral in numerals}):
            glyphs[font] = {
                character: glyph
                for glyph, character in sorted(unicode_maps[font].items(), reverse=True)
                if character in _FIGURES
            }
            widths = _figure_widths(fonts_by_name[font], set(glyphs[font].values()))
            if len(set(widths)) != 1:
                return INCOMPLETE  # figures of different widths: a number's width is its own
            advances[font] = widths[0]
    return PartNumerals(tuple(numerals), glyphs, complete=True, advances=advances)


def _figure_widths(font: Any, glyph_ids: set[int]) -> list[float]:
    """The widths the PDF gives the glyphs *glyph_ids* of the Type 0 *font* (its ``/W``)."""
    import pikepdf

    descendant = font.DescendantFonts[0]
    default = float(descendant.get("/DW", 1000))
    widths = dict.fromkeys(glyph_ids, default)
    entries = list(descendant.get("/W", []))
    index = 0
    while index < len(entries) - 1:
        first, following = int(entries[index]), entries[index + 1]
        if isinstance(following, pikepdf.Array):
            for step, width in enumerate(following):
                if first + step in widths:
                    widths[first + step] = float(width)
            index += 2
        else:
            for glyph in range(first, int(following) + 1):
                if glyph in widths:
                    widths[glyph] = float(entries[index + 2])
            index += 3
    return list(widths.values())


def new_values(numerals: PartNumerals, part_html: str, first_page: int) -> list[str] | None:
    """What each numeral prints in *part_html*, its footers counting from *first_page*;
    None when a number the layout printed is not in it."""
    figures = printed_figures(part_html)
    values = []
    for numeral in numerals.numerals:
        if numeral.target == FOOTER:
            values.append(str(first_page + numeral.page))
        elif numeral.target in figures:
            values.append(figures[numeral.target])
        else:
            return None
    return values


def write_numbers(
    pdf: bytes, numerals: PartNumerals, values: list[str], *, every_one: bool = False
) -> tuple[bytes, PartNumerals] | None:
    """*pdf* printing *values* in place of its numerals', and where they now are; None when
    one does not fit: more figures than were laid out, or a figure the font subset lacks.

    A number with fewer figures than laid out is written only where it may leave their room
    blank before it and still end where the layout ended it: at the end of a contents line,
    or as a page's own number (centred, so half the room goes before it). In a line of
    text, the room would be a gap.

    With *every_one*, numbers are written again where they do not change: every number of
    the PDF is then written as this function writes it, whatever the layout printed first.
    """
    import pikepdf

    pages: dict[int, list[tuple[Numeral, str]]] = {}
    for numeral, value in zip(numerals.numerals, values, strict=True):
        held = numerals.glyphs.get(numeral.font, {})
        if value == numeral.shown:
            pass
        elif len(value) > len(numeral.shown) or not set(value) <= held.keys():
            return None
        elif len(value) < len(numeral.shown) and not numeral.aligned:
            return None  # a gap in a line of text
        pages.setdefault(numeral.page, []).append((numeral, value))
    if not every_one and all(
        value == numeral.shown for numeral, value in zip(numerals.numerals, values, strict=True)
    ):
        return pdf, numerals
    written: dict[Numeral, Numeral] = {}
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        for index, numbers in pages.items():
            if not every_one and all(value == numeral.shown for numeral, value in numbers):
                continue
            contents = opened.pages[index].obj.Contents
            content = contents.read_bytes()
            pieces: list[bytes] = []
            position = 0
            for numeral, value in sorted(numbers, key=lambda pair: pair[0].offsets[0]):
                first, last = numeral.offsets[0], numeral.offsets[-1] + 4
                pieces.append(content[position:first])
                at = sum(len(piece) for piece in pieces)
                held = numerals.glyphs.get(numeral.font, {})
                if value == numeral.shown and not every_one:
                    region = content[first:last]
                    offsets = tuple(at + offset - first for offset in numeral.offsets)
                else:
                    lost = (len(numeral.shown) - len(value)) * numerals.advances[numeral.font]
                    if numeral.target == FOOTER:
                        lost /= 2
                    # Inside a hex string: closed for the room given, opened again for the figures.
                    room = b">%s<" % _pdf_number(-float(lost)) if lost else b""
                    figures = b"".join(b"%04x" % held[figure] for figure in value)
                    region = room + figures
                    offsets = tuple(at + len(room) + 4 * step for step in range(len(value)))
                pieces.append(region)
                position = last
                written[numeral] = replace(numeral, offsets=offsets, shown=value)
            pieces.append(content[position:])
            contents.write(b"".join(pieces))
        out = io.BytesIO()
        opened.save(out, deterministic_id=True)
    renumbered = tuple(
        written.get(numeral, replace(numeral, shown=value))
        for numeral, value in zip(numerals.numerals, values, strict=True)
    )
    return out.getvalue(), replace(numerals, numerals=renumbered)
