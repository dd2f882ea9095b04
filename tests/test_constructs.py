"""What an author writes renders in every edition: math, code, admonitions, tables, figures,
hyphenation and the small constructs, asserted on the built site, EPUB and PDF."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from lxml import etree, html
from pypdf import PdfReader

from outputs import (
    NS,
    Epub,
    epubcheck_messages,
    fingerprint,
    pdf_broken_links,
    pdf_outline,
    pdf_words,
    triptych_build,
)
from triptych.checks import validators

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sphinx.testing.util import SphinxTestApp

    from conftest import BuildRoot

ROOT = Path(__file__).parent / "roots" / "test-kitchen-sink"
MATHML = "{http://www.w3.org/1998/Math/MathML}"
SVG = "{http://www.w3.org/2000/svg}"
ADMONITIONS = (
    "attention", "caution", "danger", "error", "hint", "important", "note", "tip", "warning",
    "seealso",
)  # fmt: skip
FORMULAS = {
    "E = mc^2",
    r"\sum_{i=1}^{n} x_i^2",
    r"\frac{a}{b}",
    r"\int_0^1 x^2 \, dx = \frac{1}{3}",
    r"e^{i\pi} + 1 = 0",
    r"\alpha + \beta = \gamma",
}


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All three editions, built with ``triptych build -W``."""
    return triptych_build(ROOT, tmp_path_factory.mktemp("kitchen-sink"))


@pytest.fixture(scope="module")
def epub(out: Path) -> Epub:
    return Epub.open(out / "epub" / "kitchen-sink.epub")


@pytest.fixture(scope="module")
def pdf_app(build_root: BuildRoot) -> SphinxTestApp:
    return build_root("pdf", "test-kitchen-sink")


@pytest.fixture(scope="module")
def print_html(pdf_app: SphinxTestApp) -> Any:
    return html.fromstring(pdf_app.builder.print_html)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def laid_out(pdf_app: SphinxTestApp) -> Any:
    """The print HTML laid out by WeasyPrint with the print stylesheet, for computed styles."""
    builder: Any = pdf_app.builder
    return builder.layout().render(builder.print_html)


def boxes_within(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", []):
        yield from boxes_within(child)


def boxes(document: Any) -> Iterator[Any]:
    """Every box WeasyPrint laid out that belongs to an element, page by page."""

    for page in document.pages:
        for box in boxes_within(page._page_box):
            if getattr(box, "element", None) is not None:
                yield box


def first_box(document: Any, test: Any) -> Any:
    return next(box for box in boxes(document) if test(box.element_tag, box.element))


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")


def site_page(out: Path, name: str) -> Any:
    return html.parse(str(out / "html" / f"{name}.html")).getroot()


def text_of(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


# --- math -----------------------------------------------------------------------------------


def test_site_math_is_mathml_without_a_script(out: Path) -> None:
    page = site_page(out, "math")
    maths = page.iter("math")
    alttexts = {m.get("alttext") for m in maths}
    assert alttexts >= FORMULAS
    for math in page.iter("math"):
        (annotation,) = math.iter("annotation")
        assert annotation.get("encoding") == "application/x-tex"
        assert annotation.text == math.get("alttext")
    scripts = [s.get("src") or "" for s in page.iter("script")]
    assert not [s for s in scripts if "mathjax" in s.lower() or "://" in s]
    assert r"\(" not in text_of(page.find(".//main") if page.find(".//main") is not None else page)


def test_epub_math_is_mathml_declared_in_the_package(epub: Epub) -> None:
    chapter = epub.xhtml("EPUB/math.xhtml")
    maths = chapter.findall(f".//{MATHML}math")
    assert {m.get("alttext") for m in maths} >= FORMULAS
    assert all(m.find(f"{MATHML}semantics/{MATHML}annotation") is not None for m in maths)
    properties = {path: props.split() for path, _, props in epub.manifest.values()}
    assert "mathml" in properties["EPUB/math.xhtml"]
    assert "mathml" not in properties["EPUB/code.xhtml"]


def test_print_math_is_svg_with_its_tex_as_name(print_html: Any, out: Path) -> None:
    svgs = [
        svg
        for svg in print_html.iter("svg")
        if "triptych-math" in (svg.getparent().get("class") or "")
    ]
    assert {svg.get("aria-label") for svg in svgs} >= FORMULAS
    for svg in svgs:
        assert svg.get("role") == "img"
        assert svg.find("title").text == svg.get("aria-label")
    inline = [s for s in svgs if s.getparent().tag == "span"]
    assert inline and all("vertical-align: -" in s.getparent().get("style") for s in inline)
    # Glyph ids are unique across the merged document: WeasyPrint would warn otherwise.
    ids = Counter(str(value) for value in print_html.xpath("//@id"))
    assert [name for name, count in ids.items() if count > 1] == []
    text = page_texts(out / "pdf" / "kitchen-sink.pdf")
    assert not [line for page in text for line in page.splitlines() if re.search(r"\\[a-z]+", line)]
    # In the tagged PDF each formula is a figure whose alternative text is its TeX.
    assert set(_figure_alt_texts(out / "pdf" / "kitchen-sink.pdf")) >= FORMULAS


def _figure_alt_texts(pdf: Path) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child)
            return
        if not hasattr(node, "get"):
            return
        if node.get("/S") == "/Figure" and "/Alt" in node:
            found.append(str(node["/Alt"]))
        if (kids := node.get("/K")) is not None:
            walk(kids)

    walk(PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"])
    return found


def test_equations_are_numbered_and_referenced_in_every_edition(
    out: Path, epub: Epub, print_html: Any
) -> None:
    for page in (site_page(out, "math"), print_html):
        # The site's number carries a permalink sign after it.
        numbers = [text_of(eqno).rstrip("¶") for eqno in page.find_class("eqno")]
        assert numbers[:3] == ["(1)", "(2)", "(3)"]
    chapter = epub.xhtml("EPUB/math.xhtml")
    numbers = [text_of(e) for e in chapter.xpath("//*[@class='eqno']")]
    assert numbers[:3] == ["(1)", "(2)", "(3)"]
    references = [text_of(a) for a in print_html.xpath("//a[contains(@href, 'equation-eq-')]")]
    assert references == ["(1)", "(2)"]
    assert pdf_broken_links(PdfReader(out / "pdf" / "kitchen-sink.pdf")).broken == []


def test_equations_in_rows_print_as_mathematics_in_every_book(tmp_path: Path) -> None:
    # Blank-line-separated equations are joined as the rows of an aligned, which latex2mathml
    # does not know: it wrote their & unescaped, so every such block was shown as TeX.
    out = triptych_build(ROOT.parent / "test-math-rows", tmp_path)  # -W: no math warnings
    text = "".join(page_texts(out / "pdf" / "math-rows.pdf"))
    assert "(1)" in text
    assert not re.search(r"\\[A-Za-z\\]|&", text)
    epub_path = out / "epub" / "math-rows.epub"
    chapter = Epub.open(epub_path).xhtml("EPUB/index.xhtml")
    assert chapter.xpath("//*[contains(@class, 'triptych-math-fallback')]") == []
    maths = chapter.findall(f".//{MATHML}math")
    assert len(maths) == 8
    # The rows are a table whose columns keep the alignment at &: "a" right of "= b + c".
    (first_row,) = maths[0].xpath("m:semantics//m:mtr[1]", namespaces={"m": MATHML[1:-1]})
    cells = ["".join(cell.itertext()) for cell in first_row]
    assert cells == ["a", "=b+c"]
    assert epubcheck_messages(epub_path) == []

    from triptych.math.render import MathError, mathml

    with pytest.raises(MathError, match="an & is outside any environment that aligns"):
        mathml(r"\begin{gather*} a & b \end{gather*}", True)


def test_a_hyphen_written_as_text_in_a_formula_prints_as_mathematics(tmp_path: Path) -> None:
    # ziamath's own reading of its MathML ran from a number to a later text "-" and left the
    # tags unbalanced: these formulas printed as TeX with a "cannot be drawn" warning.
    source = tmp_path / "minus"
    source.mkdir()
    (source / "index.md").write_text(
        "# Minus\n\nThe angle $1 + \\cos{(\\text{-}\\theta)}$ is known.\n\n"
        "$$\n\\begin{aligned}\n1 &= e^{i\\theta} e^{-i\\theta} \\\\\n"
        "&= \\cos{(\\text{-}\\theta)} + 2\n\\end{aligned}\n$$\n"
    )
    # Without conf.py, so with dollar math on; -W: no math warnings.
    out = triptych_build(source, tmp_path / "build", "-f", "pdf")
    print_page = html.parse(str(out / "doctrees" / "triptych-pdf" / "minus.html")).getroot()
    assert print_page.find_class("triptych-math-fallback") == []
    drawn = [svg.get("aria-label") or "" for svg in print_page.iter("svg")]
    assert r"1 + \cos{(\text{-}\theta)}" in drawn
    assert any(name.startswith(r"\begin{aligned}") for name in drawn)
    text = "".join(page_texts(out / "pdf" / "minus.pdf"))
    assert "\\text" not in text and "\\cos" not in text


def test_coloured_cells_and_scripted_matrices_print_as_mathematics(tmp_path: Path) -> None:
    # latex2mathml coloured the rest of a matrix after \color{c}{x}, taking its & out of the
    # columns; ziamath failed an assertion on a script after an environment. Both were TeX.
    source = tmp_path / "matrices"
    source.mkdir()
    (source / "index.md").write_text(
        "# Matrices\n\nThe vector $x = \\begin{bmatrix} u_0 & e_0 \\end{bmatrix}^\\top$.\n\n"
        "$$\nx^\\top y = \\begin{bmatrix}\n"
        "\\color{red}{x_1} & \\color{blue}{x_2} & \\cdots & x_n\n\\end{bmatrix}\n$$\n"
    )
    out = triptych_build(source, tmp_path / "build", "-f", "pdf,epub")  # -W: no math warnings
    print_page = html.parse(str(out / "doctrees" / "triptych-pdf" / "matrices.html")).getroot()
    assert print_page.find_class("triptych-math-fallback") == []
    assert len([svg for svg in print_page.iter("svg") if svg.get("aria-label")]) == 2
    chapter = Epub.open(out / "epub" / "matrices.epub").xhtml("EPUB/index.xhtml")
    maths = chapter.findall(f".//{MATHML}math")
    # The coloured row keeps its four columns, the first two in their colours.
    cells = maths[1].findall(f".//{MATHML}mtd")
    assert ["".join(cell.itertext()) for cell in cells] == [
        "x1",
        "x2",
        "\N{MIDLINE HORIZONTAL ELLIPSIS}",
        "xn",
    ]
    colours = [style.get("mathcolor") for style in maths[1].iter(f"{MATHML}mstyle")]
    assert colours == ["red", "blue"]


def test_math_written_inside_text_in_a_formula_prints_as_mathematics(tmp_path: Path) -> None:
    # MathJax sets $...$ inside \text{} as math; latex2mathml and ziamath printed it as
    # text, dollar signs and all, in the EPUB and the PDF.
    source = tmp_path / "text-math"
    source.mkdir()
    (source / "index.md").write_text(
        "# Text math\n\n$$\nx^\\alpha P = c \\quad \\text{for some $c > 0$ only}\n$$\n"
    )
    out = triptych_build(source, tmp_path / "build", "-f", "pdf,epub")  # -W: no math warnings
    chapter = Epub.open(out / "epub" / "text-math.epub").xhtml("EPUB/index.xhtml")
    (formula,) = chapter.findall(f".//{MATHML}math")
    presentation = formula.find(f"{MATHML}semantics/*")
    texts = ["".join(text.itertext()) for text in presentation.iter(f"{MATHML}mtext")]
    assert [" ".join(text.split()) for text in texts] == ["for some", "only"]
    assert "c" in [mi.text for mi in presentation.iter(f"{MATHML}mi")]
    assert ">" in [mo.text for mo in presentation.iter(f"{MATHML}mo")]

    from triptych.math.render import svg

    def glyphs(drawing: Any) -> list[str]:
        """The glyphs a formula's SVG draws, by their name in the font."""
        return [use.get("href", "").rpartition("-")[2] for use in drawing.iter(f"{SVG}use", "use")]

    print_page = html.parse(str(out / "doctrees" / "triptych-pdf" / "text-math.html")).getroot()
    assert print_page.find_class("triptych-math-fallback") == []
    (drawn,) = [image for image in print_page.iter("svg") if image.get("aria-label")]
    # The dollar signs around "c > 0" are not drawn (a lone one in text is a dollar sign).
    (dollar,) = glyphs(etree.fromstring(svg(r"\text{$}", False, "dollar-").markup))
    assert glyphs(drawn) and dollar not in glyphs(drawn)


def test_characters_escaped_in_text_in_a_formula_print_without_their_backslash(
    tmp_path: Path,
) -> None:
    # latex2mathml and ziamath print a text argument as written: "transistor\_count" in
    # every edition, and an escaped "&" wrote an unescaped one the MathML could not be read with.
    source = tmp_path / "escapes"
    source.mkdir()
    (source / "index.md").write_text(
        "# Escapes\n\nThe law $\\log(\\text{transistor\\_count}) = A$ holds.\n\n"
        "$$\nx = \\text{50\\% of \\$5 \\& \\{y\\} \\#1}\n$$\n"
    )
    out = triptych_build(source, tmp_path / "build", "-f", "pdf,epub")  # -W: no math warnings
    chapter = Epub.open(out / "epub" / "escapes.epub").xhtml("EPUB/index.xhtml")
    shown = [
        "".join("".join(element.itertext()) for element in formula.find(f"{MATHML}semantics/*"))
        for formula in chapter.findall(f".//{MATHML}math")
    ]
    assert [" ".join(text.split()) for text in shown] == [
        "log(transistor_count)=A",
        "x=50% of $5 & {y} #1",
    ]
    assert chapter.findall(f".//{MATHML}math")[0].get("alttext") == (
        r"\log(\text{transistor\_count}) = A"
    )

    from triptych.math.render import svg

    def glyphs(drawing: Any) -> list[str]:
        """The glyphs a formula's SVG draws, by their name in the font."""
        return [use.get("href", "").rpartition("-")[2] for use in drawing.iter(f"{SVG}use", "use")]

    print_page = html.parse(str(out / "doctrees" / "triptych-pdf" / "escapes.html")).getroot()
    assert print_page.find_class("triptych-math-fallback") == []
    drawn = [image for image in print_page.iter("svg") if image.get("aria-label")]
    assert len(drawn) == 2
    # "\\" in text prints two backslashes as written: the glyph "\_" drew before its "_".
    (backslash,) = set(glyphs(etree.fromstring(svg(r"\text{\\}", False, "slash-").markup)))
    assert all(glyphs(image) and backslash not in glyphs(image) for image in drawn)


def test_a_formula_above_the_baseline_is_raised_in_print(tmp_path: Path) -> None:
    # Its depth is negative: "vertical-align: --0.167em" was ignored with a WeasyPrint
    # warning, and the dots sat on the baseline.
    source = tmp_path / "raised"
    source.mkdir()
    (source / "index.md").write_text("# Raised\n\nThe terms $\\cdots$ and $x_1$ go on.\n")
    out = triptych_build(source, tmp_path / "build", "-f", "pdf")  # -W: no layout warnings
    print_page = html.parse(str(out / "doctrees" / "triptych-pdf" / "raised.html")).getroot()
    offsets = [
        float(re.fullmatch(r"vertical-align: (-?[0-9.]+)em", span.get("style", ""))[1])  # type: ignore[index]
        for span in print_page.find_class("triptych-math")
    ]
    assert len(offsets) == 2 and offsets[0] > 0 > offsets[1]


def test_formulas_in_headings_are_text_in_the_contents_of_every_book(tmp_path: Path) -> None:
    # The printed contents and the EPUB's navigation are text: a heading's formula was its TeX.
    source = tmp_path / "headings"
    source.mkdir()
    (source / "index.md").write_text(
        "# Headings\n\n## Change with $\\alpha$ and $T_1$\n\nText.\n\n## Step $x_{b}$\n\nText.\n"
    )
    out = triptych_build(source, tmp_path / "build", "-f", "pdf,epub")
    printed = "".join(page_texts(out / "pdf" / "headings.pdf"))
    assert "Change with \N{GREEK SMALL LETTER ALPHA} and T\N{SUBSCRIPT ONE}" in printed
    assert "Step x_b" in printed and "\\" not in printed
    book = Epub.open(out / "epub" / "headings.epub")
    navigation = " ".join("".join(book.xhtml("EPUB/nav.xhtml").itertext()).split())
    assert "Change with \N{GREEK SMALL LETTER ALPHA} and T\N{SUBSCRIPT ONE}" in navigation
    assert "Step x_b" in navigation and "\\" not in navigation
    # The bookmarks too: a heading's formula is drawn, and WeasyPrint's bookmark skipped it.
    bookmarks = [
        title for title, _depth, _page in pdf_outline(PdfReader(out / "pdf" / "headings.pdf"))
    ]
    assert "Change with \N{GREEK SMALL LETTER ALPHA} and T\N{SUBSCRIPT ONE}" in bookmarks
    assert "Step x_b" in bookmarks


# --- code -----------------------------------------------------------------------------------


def _fill_colours(pdf: Path, page_number: int) -> set[tuple[float, ...]]:
    page = PdfReader(pdf).pages[page_number - 1]
    content = page.get_contents()
    assert content is not None
    data = content.get_data().decode("latin-1")
    found = re.findall(r"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) rg", data)
    return {tuple(round(float(v), 2) for v in colour) for colour in found}


def test_print_code_is_highlighted_numbered_and_wrapped(out: Path, print_html: Any) -> None:
    pdf = out / "pdf" / "kitchen-sink.pdf"
    pages = page_texts(pdf)
    code_page = next(i for i, text in enumerate(pages, start=1) if "def greet" in text)
    hues = {c for c in _fill_colours(pdf, code_page) if len(set(c)) > 1}
    assert len(hues) >= 3, hues
    listing = print_html.find_class("literal-block-wrapper")[0]
    assert [text_of(n) for n in listing.find_class("linenos")] == ["1", "2", "3", "4"]
    assert len(listing.find_class("hll")) == 2
    assert "triptych-keep" in listing.get("class")
    # The long line wraps inside the text block instead of running off the page.
    words = _word_boxes(pdf, code_page)
    width = float(PdfReader(pdf).pages[code_page - 1].mediabox.width)
    assert 'wrap."' in {word for word, _ in words}
    assert max(right for _, right in words) < width - 22 / 25.4 * 72 + 1


def _word_boxes(pdf: Path, page: int) -> list[tuple[str, float]]:
    return [(word.text, word.x_max) for word in pdf_words(pdf, page)]


def test_epub_code_is_highlighted_in_the_print_style(epub: Epub) -> None:
    css = epub.archive.read("EPUB/_static/triptych-epub.css").decode()
    assert re.search(r"\.highlight \.k \{[^}]*color: #", css)
    chapter = epub.xhtml("EPUB/code.xhtml")
    assert chapter.xpath("//xhtml:span[@class='linenos']", namespaces=NS)
    assert chapter.xpath("//xhtml:span[@class='hll']", namespaces=NS)


# --- admonitions ----------------------------------------------------------------------------


def test_admonitions_are_boxes_in_print(print_html: Any, laid_out: Any) -> None:
    for kind in ADMONITIONS:
        (box,) = print_html.xpath(f"//div[contains(concat(' ', @class, ' '), ' {kind} ')]")
        assert "admonition" in box.get("class").split()
        assert "triptych-keep" in box.get("class").split()
        assert box.find_class("admonition-title")
    titled = print_html.xpath("//div[contains(@class, 'admonition-a-titled-aside')]")
    assert text_of(titled[0].find_class("admonition-title")[0]) == "A titled aside"
    note = first_box(laid_out, lambda tag, el: tag == "div" and "note" in (el.get("class") or ""))
    assert note.style["border_left_width"] > note.style["border_top_width"] > 0
    assert note.style["break_inside"] == "avoid"
    danger = first_box(
        laid_out, lambda tag, el: tag == "div" and "danger" in (el.get("class") or "")
    )
    assert danger.style["border_left_style"] == "double"
    title = first_box(laid_out, lambda tag, el: "admonition-title" in (el.get("class") or ""))
    assert title.style["break_after"] == "avoid"


def test_admonitions_are_asides_in_the_epub(epub: Epub) -> None:
    chapter = epub.xhtml("EPUB/blocks.xhtml")
    semantics = {}
    for element in chapter.xpath("//*[contains(@class, 'admonition ')]"):
        kind = element.get("class").split()[-1]
        semantics[kind] = (
            etree.QName(element).localname,
            element.get("role"),
            element.get(f"{{{NS['epub']}}}type"),
        )
        (title,) = element.xpath(f"*[@id='{element.get('aria-labelledby')}']")
        assert "admonition-title" in title.get("class")
    assert semantics["note"] == ("aside", "note", None)
    assert semantics["tip"] == semantics["hint"] == ("aside", "doc-tip", "tip")
    assert semantics["warning"] == semantics["danger"] == ("section", "doc-notice", "notice")
    assert semantics["seealso"] == ("aside", "note", None)
    assert set(ADMONITIONS) <= set(semantics)


# --- tables and figures ---------------------------------------------------------------------


def test_column_alignment_in_every_edition(out: Path, epub: Epub, laid_out: Any) -> None:
    chapter = epub.xhtml("EPUB/tables.xhtml")
    for page, cells in (
        (site_page(out, "tables"), lambda p: p.xpath("(//table)[1]//tr[2]/td")),
        (chapter, lambda p: p.xpath("(//xhtml:table)[1]//xhtml:tr[2]/xhtml:td", namespaces=NS)),
    ):
        classes = [cell.get("class") for cell in cells(page)]
        assert classes == ["text-left", "text-center", "text-right"]
    for alignment in ("left", "center", "right"):
        cell = first_box(
            laid_out, lambda tag, el, a=alignment: tag == "td" and el.get("class") == f"text-{a}"
        )
        paragraph = next(box for box in boxes_within(cell) if box.element_tag == "p")
        assert cell.style["text_align_all"] == paragraph.style["text_align_all"] == alignment


def test_long_table_repeats_its_header_on_every_page(out: Path, laid_out: Any) -> None:
    pages = [
        text for text in page_texts(out / "pdf" / "kitchen-sink.pdf") if "of the chronology" in text
    ]
    assert len(pages) >= 2
    assert all(re.search(r"^\s*Year\s+Event\s*$", text, re.MULTILINE) for text in pages)
    head = first_box(laid_out, lambda tag, _el: tag == "thead")
    assert head.style["display"] == ("table-header-group",)
    table = first_box(laid_out, lambda tag, _el: tag == "table")
    assert table.style["break_inside"] == "auto"


def test_figure_keeps_its_width(laid_out: Any, epub: Epub, out: Path) -> None:
    image = first_box(laid_out, lambda tag, el: tag == "img" and "square" in el.get("src", ""))
    figure = first_box(laid_out, lambda tag, _el: tag == "figure")
    assert image.width == pytest.approx(0.4 * figure.width, rel=0.02)
    chapter = epub.xhtml("EPUB/tables.xhtml")
    assert chapter.xpath("//xhtml:img/@style", namespaces=NS) == ["width: 40%;"]
    assert site_page(out, "tables").xpath("//figure//img/@style") == ["width: 40%;"]


def _lowest_word(pdf: Path, page: int) -> float:
    words = [word.y_max for word in pdf_words(pdf, page)]
    # The running header and the page number are not the page's text.
    return sorted(words)[-2]


def test_a_figure_too_tall_for_the_page_leaves_no_hole(out: Path, print_html: Any) -> None:
    pdf = out / "pdf" / "kitchen-sink.pdf"
    pages = page_texts(pdf)
    figure_page = next(i for i, t in enumerate(pages, 1) if "too tall for what is left" in t)
    height = float(PdfReader(pdf).pages[0].mediabox.height)
    text_bottom = height - 25 / 25.4 * 72
    # The page before the figure is filled with the text that followed the figure.
    assert _lowest_word(pdf, figure_page - 1) > text_bottom - (text_bottom - 72) / 4
    chapter = print_html.get_element_by_id("document-figures")
    blocks = [e.tag for e in chapter.xpath(".//*[self::p or self::figure][not(ancestor::figure)]")]
    # Written after the fourth paragraph, it follows more of them in print.
    assert blocks.index("figure") > 5


# --- small constructs -----------------------------------------------------------------------


def test_small_constructs_in_every_edition(out: Path, epub: Epub, print_html: Any) -> None:
    site = site_page(out, "blocks")
    chapter = html.fromstring(epub.archive.read("EPUB/blocks.xhtml"))
    for page in (site, chapter, print_html):
        (epigraph,) = page.find_class("epigraph")
        assert text_of(epigraph.find_class("attribution")[0]) == "—Alan Kay"
        assert len(page.xpath("//blockquote")) == 2
        assert [text_of(dt) for dt in page.xpath("//dl/dt")] == ["Term one", "Term two"]
        assert [text_of(e) for e in page.xpath("//sub | //sup")] == ["2", "2"]
        (abbr,) = page.xpath("//abbr")
        assert abbr.get("title") == "North Atlantic Treaty Organization"
        tasks = page.find_class("triptych-task")
        assert [(t.get("aria-label"), "triptych-task-done" in t.get("class")) for t in tasks] == [
            ("done", True),
            ("to do", False),
        ]
        assert all(t.get("role") == "img" and not text_of(t) for t in tasks)
        assert not page.xpath("//li//input")
    text = "".join(page_texts(out / "pdf" / "kitchen-sink.pdf"))
    assert "NATO (North Atlantic Treaty Organization) was founded" in " ".join(text.split())


def test_headings_and_names_are_never_hyphenated(out: Path, laid_out: Any) -> None:
    heading = first_box(laid_out, lambda tag, _el: tag == "h1")
    assert heading.style["hyphens"] == "manual"
    name = first_box(laid_out, lambda _tag, el: "triptych-name" in (el.get("class") or ""))
    assert name.style["hyphens"] == "manual"
    lines = "\n".join(page_texts(out / "pdf" / "kitchen-sink.pdf")).splitlines()
    broken = [line.split()[-1] for line in lines if line.rstrip().endswith("\u2010")]
    # Hyphenation is on (common words break) but no capitalised word is broken.
    assert [word for word in broken if word[0].islower()]
    assert [word for word in broken if word[0].isupper()] == []


def test_hyphenation_can_be_switched_off(build_root: BuildRoot) -> None:
    app = build_root("pdf", "test-kitchen-sink", confoverrides={"triptych_hyphenate": False})
    builder: Any = app.builder
    assert "triptych-name" not in builder.print_html
    lines = "\n".join(page_texts(Path(app.outdir) / "kitchen-sink.pdf")).splitlines()
    assert not [line for line in lines if line.rstrip().endswith("\u2010")]


# --- validity -------------------------------------------------------------------------------


def test_a_parallel_build_gives_the_same_bytes(out: Path, tmp_path: Path) -> None:
    # Formulas are rendered in the reading processes; amsmath's equations get stable ids.
    assert fingerprint(triptych_build(ROOT, tmp_path, "-j", "2")) == fingerprint(out)


def test_every_word_is_in_every_edition(out: Path) -> None:
    """The text audit knows what each edition draws (formulas), moves (figures) or sets
    apart (line numbers), and finds every other word in order."""
    from triptych.checks.text import audit_text

    audits = audit_text(out)
    assert {audit.edition for audit in audits} == {"site", "pdf", "epub", "articles"}
    assert [passage.line() for audit in audits for passage in audit.missing] == []


def test_epub_is_valid(epub: Epub) -> None:
    assert epubcheck_messages(epub.path) == []


def test_epub_passes_daisy_ace(epub: Epub) -> None:
    ace = Path(os.environ.get("TRIPTYCH_ACE", ".tools/node_modules/.bin/ace-cli"))
    if not ace.is_file() or validators.chromium() is None:
        reason = f"DAISY Ace ({ace}) or Chromium is not installed; `make test` installs both"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    assert validators.ace(epub.path, ace) == []


# --- formulas a renderer cannot draw --------------------------------------------------------

BAD_FORMULAS = {
    5: r"unknown TeX command \foobar",
    9: r"macro definitions (\def) are not supported",
    13: "formula nests 42 levels deep; the limit is 40",
    15: "formula cannot be read: it ends before a command or group is complete",
}


def test_formulas_that_cannot_be_drawn_warn_once_and_show_their_tex(
    rootdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from triptych import cli

    shutil.copytree(rootdir / "test-bad-math", tmp_path / "src")
    assert cli.main(["build", str(tmp_path / "src"), "-o", str(tmp_path / "out"), "-q"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "[triptych.math]" in line]
    # Read once for the three editions, so each formula is reported once, at its line.
    assert len(warnings) == len(BAD_FORMULAS)
    for line, message in BAD_FORMULAS.items():
        (warning,) = [
            w for w in warnings if w.startswith(f"{tmp_path / 'src' / 'index.md'}:{line}:")
        ]
        assert message in warning and warning.endswith("it is shown as TeX [triptych.math]")
    site = site_page(tmp_path / "out", "index")
    chapter = Epub.open(tmp_path / "out" / "epub" / "bad-math.epub").xhtml("EPUB/index.xhtml")
    print_page = html.parse(
        str(tmp_path / "out" / "doctrees" / "triptych-pdf" / "bad-math.html")
    ).getroot()
    for page in (site, print_page):
        fallbacks = page.find_class("triptych-math-fallback")
        assert next(text_of(f) for f in fallbacks) == r"\foobar{x} + 1"
        assert len(fallbacks) == len(BAD_FORMULAS)
    fallbacks = chapter.xpath("//*[contains(@class, 'triptych-math-fallback')]")
    assert len(fallbacks) == len(BAD_FORMULAS)
    text = "".join(page_texts(tmp_path / "out" / "pdf" / "bad-math.pdf"))
    assert r"\foobar{x} + 1" in text and r"\def\a{\a\a}\a" in text


@pytest.mark.parametrize(
    ("tex", "reason"),
    [
        (r"\def\a{\a\a}\a", "macro definitions"),
        (r"\newcommand{\x}{\x\x}\x", "macro definitions"),
        ("x+" * 2500, "longer than the limit"),
        ("{" * 500 + "x" + "}" * 500, "nests 500 levels deep"),
        (r"\sqrt" * 700 + "x", "too deeply"),
        (r"\left(" * 45 + "x" + r"\right)" * 45, "nests 45 levels deep"),
    ],
)
def test_pathological_formulas_end_quickly_with_a_reason(tex: str, reason: str) -> None:
    from triptych.math.render import MathError, mathml, svg

    for render in (lambda: mathml(tex, True), lambda: svg(tex, True, "m-")):
        started = time.monotonic()
        with pytest.raises(MathError, match=re.escape(reason)):
            render()
        assert time.monotonic() - started < 5


# --- lists as the author numbered them ------------------------------------------------------


def test_lists_are_numbered_and_classified_as_written_in_every_edition(tmp_path: Path) -> None:
    # The PDF printed "1." for a list starting at 3 and for "a)" and "(i)", and the books
    # "Termclassifier": the site's basic.css, which styles them, is in neither book.
    out = triptych_build(Path(__file__).parent / "roots" / "test-lists", tmp_path)
    lines = [
        " ".join(line.split())
        for line in "".join(page_texts(out / "pdf" / "lists.pdf")).splitlines()
    ]
    for label in (
        "3. Three", "4. Four", "a) Alpha one", "b) Alpha two", "(i) Roman one",
        "(ii) Roman two", "(A) Upper one", "(B) Upper two", "Term : classifier",
    ):  # fmt: skip
        assert label in lines
    epub = Epub.open(out / "epub" / "lists.epub")
    chapter = epub.xhtml("EPUB/index.xhtml")
    site = site_page(out, "index")
    for page, namespaces in ((chapter, NS), (site, None)):
        prefix = "xhtml:" if namespaces else ""
        lists = page.xpath(f"//{prefix}ol", namespaces=namespaces)
        assert [(ol.get("class"), ol.get("start")) for ol in lists] == [
            ("arabic simple", "3"),
            ("loweralpha simple triptych-enum-loweralpha-rparen", None),
            ("lowerroman simple triptych-enum-lowerroman-parens", None),
            ("upperalpha simple triptych-enum-upperalpha-parens", None),
        ]
    epub_css = epub.archive.read("EPUB/_static/triptych-epub.css").decode()
    for css in (epub_css, (out / "html" / "_static" / "triptych.css").read_text()):
        assert "ol.loweralpha.triptych-enum-loweralpha-rparen { list-style-type:" in css
    assert "ol.lowerroman { list-style-type: lower-roman; }" in epub_css
    (term,) = chapter.xpath("//xhtml:dt", namespaces=NS)
    assert "".join(term.itertext()) == "Term : classifier"
    assert epubcheck_messages(epub.path) == []


def test_a_closing_tag_left_over_from_an_html_block_keeps_the_text_after_it_in_the_article(
    tmp_path: Path,
) -> None:
    # CommonMark ends an HTML block at a blank line: the "</code>" and "</div>" after it
    # were inline HTML of a paragraph, and the site's "</div>" closed the article's own
    # container, so the sections after it were outside the article.
    from outputs import triptych

    source = tmp_path / "src"
    source.mkdir()
    (source / "index.md").write_text(
        "# Traceback\n\n"
        '<div class="traceback">\n<code>\n----> 1 100/0\n\n'
        "ZeroDivisionError: division by zero\n</code>\n</div>\n\n"
        "## Afterwards\n\nWords after the traceback.\n\n"
        '<div class="note">\n\nMarkdown inside a *div*.\n\n</div>\n\n'
        "An inline <b>bold</b> word.\n"
    )
    out = tmp_path / "out"
    built = triptych("build", source, "-o", out)
    assert built.returncode == 0, built.stderr
    stray = [line for line in built.stderr.splitlines() if "closes no element" in line]
    assert len(stray) == 2 and all("index.md:" in line for line in stray)
    assert "</code>" in stray[0] and "</div>" in stray[1]
    page = html.parse(str(out / "html" / "index.html")).getroot()
    (article,) = page.iter("article")
    assert "Words after the traceback." in article.text_content()
    (note,) = article.find_class("note")
    assert note.text_content().split() == ["Markdown", "inside", "a", "div."]
    assert [b.text for b in article.iter("b")] == ["bold"]
    checked = triptych("check", out)
    assert "missing from" not in checked.stdout + checked.stderr
