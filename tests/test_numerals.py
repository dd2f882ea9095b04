"""Page numbers written into a laid-out PDF in place of those it was laid out with.

What the PDF shows is read back with pdftotext (words and their boxes): an oracle that
shares no code with :mod:`triptych.builders.pdf.numerals`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from outputs import PdfWord, pdf_words
from triptych.builders.pdf.layout import PrintLayout
from triptych.builders.pdf.numerals import FOOTER, find_numerals, new_values, write_numbers

if TYPE_CHECKING:
    from pathlib import Path

    from triptych.builders.pdf.numerals import PartNumerals

#: A contents line, a reference in a line of text and an index locator, each printing the
#: page of an anchor on the second page; the pages' own numbers in their footers.
PAGE = """<!DOCTYPE html><html lang="en"><head><title>Numbers</title></head><body>
<nav class="triptych-contents"><ol>
<li><a class="triptych-contents-link" href="#far" data-page="{contents}">Far away</a></li>
</ol></nav>
<p>Words before (see <a class="triptych-pageref" href="#far" data-page="{reference}">far</a>)
and words after it.</p>
<p class="locators">Far, <a class="triptych-page-number" href="#far" data-page="{locator}">x</a></p>
<h1 id="far" style="break-before: page">Far away</h1><p>The end, in {figures} words.</p>
</body></html>"""


def laid_out(
    tmp_path: Path, contents: str, reference: str, locator: str, figures: str = "0123456789"
) -> tuple[bytes, Any]:
    """The page laid out, the font's subset holding *figures* besides those of the numbers."""
    layout = PrintLayout(
        roots=(tmp_path,), base_dir=tmp_path, extra_css="", paper_size="A4",
        chapter_start="page", page_reference=" (p. {page})", pdf_variant="pdf/ua-1",
    )  # fmt: skip
    html = PAGE.format(contents=contents, reference=reference, locator=locator, figures=figures)
    document = layout.render(html)
    return layout.write(document), document


def words(tmp_path: Path, pdf: bytes, page: int) -> list[PdfWord]:
    path = tmp_path / f"book-{len(list(tmp_path.glob('book-*.pdf')))}.pdf"
    path.write_bytes(pdf)
    return pdf_words(path, page)


def word_ending(found: list[PdfWord], text: str) -> PdfWord:
    matches = [word for word in found if word.text.endswith(text)]
    assert len(matches) == 1, (text, [word.text for word in found])
    return matches[0]


@pytest.fixture
def first(tmp_path: Path) -> tuple[bytes, PartNumerals]:
    """The pages laid out printing 41 for the anchor, their footers 1 and 2."""
    pdf, document = laid_out(tmp_path, "41", "41", "41")
    return pdf, find_numerals(document, pdf, first_page=1)


def test_every_number_is_found_where_it_is_drawn(
    tmp_path: Path, first: tuple[bytes, PartNumerals]
) -> None:
    _pdf, numerals = first
    assert numerals.complete
    targets = sorted(numeral.target for numeral in numerals.numerals)
    # Three slots on the first page; two footers (1 and 2).
    assert targets == sorted([FOOTER, FOOTER, "far", "far", "far"])
    assert {numeral.shown for numeral in numerals.numerals if numeral.target} == {"41"}


def test_numbers_as_wide_are_written_in_place(
    tmp_path: Path, first: tuple[bytes, PartNumerals]
) -> None:
    pdf, numerals = first
    values = new_values(numerals, PAGE.format(contents=87, reference=87, locator=87, figures=""), 5)
    assert values is not None
    written = write_numbers(pdf, numerals, values)
    assert written is not None
    renumbered, now = written
    for page in (1, 2, 3):
        before, after = words(tmp_path, pdf, page), words(tmp_path, renumbered, page)
        # The same words at the same places; the numbers' figures alone changed, and the
        # footers count from 5.
        expected = [word.text.replace("41", "87") for word in before]
        if page > 1:
            expected[-1] = str(page + 4)
        assert [word.text for word in after] == expected
        assert [(round(w.x_min, 2), round(w.y_min, 2)) for w in after] == [
            (round(w.x_min, 2), round(w.y_min, 2)) for w in before
        ]
    # Written over again, from where the first writing left them.
    values = new_values(now, PAGE.format(contents=13, reference=13, locator=13, figures=""), 1)
    assert values is not None
    again = write_numbers(renumbered, now, values)
    assert again is not None
    assert word_ending(words(tmp_path, again[0], 2), "13))").text == "13))"
    assert [word.text for word in words(tmp_path, again[0], 3)][-1] == "3"


def test_fewer_figures_end_a_contents_line_where_it_ended(tmp_path: Path) -> None:
    pdf, document = laid_out(tmp_path, "410", "41", "41")
    numerals = find_numerals(document, pdf, first_page=1)
    values = ["99" if numeral.target and numeral.shown == "410" else numeral.shown
              for numeral in numerals.numerals]  # fmt: skip
    written = write_numbers(pdf, numerals, values)
    assert written is not None
    before = word_ending(words(tmp_path, pdf, 1), "410")
    after = word_ending(words(tmp_path, written[0], 1), "99")
    assert after.x_max == pytest.approx(before.x_max, abs=0.05)
    assert after.x_min > before.x_min


@pytest.mark.parametrize(
    ("laid", "value"),
    [
        pytest.param("41", "410", id="more figures than laid out"),
        pytest.param("410", "99", id="fewer figures in a line of text"),
    ],
)
def test_numbers_that_do_not_fit_are_not_written(tmp_path: Path, laid: str, value: str) -> None:
    pdf, document = laid_out(tmp_path, "41", laid, "41")
    numerals = find_numerals(document, pdf, first_page=1)
    values = [value if numeral.shown == laid and numeral.target else numeral.shown
              for numeral in numerals.numerals]  # fmt: skip
    if laid == "41":
        values = [value if numeral.target else numeral.shown for numeral in numerals.numerals]
    assert write_numbers(pdf, numerals, values) is None


def test_every_bundled_font_that_draws_a_figure_holds_all_ten(tmp_path: Path) -> None:
    """The page draws the figures 1, 2 and 4 alone; its fonts' subsets hold the other seven,
    so that any number can be written over these."""
    pdf, document = laid_out(tmp_path, "41", "41", "41", figures="three")
    numerals = find_numerals(document, pdf, first_page=1)
    assert numerals.glyphs
    assert all(sorted(held) == list("0123456789") for held in numerals.glyphs.values())
    values = ["98" if numeral.target else numeral.shown for numeral in numerals.numerals]
    written = write_numbers(pdf, numerals, values)
    assert written is not None
    assert word_ending(words(tmp_path, written[0], 2), "98))").text == "98))"


def test_a_figure_the_font_subset_lacks_is_not_written(tmp_path: Path) -> None:
    pdf, document = laid_out(tmp_path, "41", "41", "41")
    numerals = find_numerals(document, pdf, first_page=1)
    without_nine = replace(
        numerals,
        glyphs={font: {f: g for f, g in held.items() if f != "9"}
                for font, held in numerals.glyphs.items()},
    )  # fmt: skip
    values = ["99" if numeral.target else numeral.shown for numeral in numerals.numerals]
    assert write_numbers(pdf, without_nine, values) is None
