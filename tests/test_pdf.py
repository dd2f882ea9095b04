"""The PDF edition, built from a small test root with the ``pdf`` builder."""

from __future__ import annotations

import itertools
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from lxml import html
from pypdf import PdfReader

from outputs import (
    pdf_broken_links,
    pdf_destination_page,
    pdf_links,
    pdf_outline,
    pdf_page_texts,
    triptych_build,
)
from triptych.checks.pages import audit_page_numbers
from triptych.config import publication_identifier

if TYPE_CHECKING:
    from sphinx.testing.util import SphinxTestApp

    from conftest import BuildRoot


@pytest.fixture(scope="module")
def built(build_root: BuildRoot) -> SphinxTestApp:
    return build_root("pdf", "test-basic")


def test_builds_without_warnings(built: SphinxTestApp) -> None:
    assert built.warning.getvalue() == ""
    assert (Path(built.outdir) / "basic-test-book.pdf").is_file()
    # Only the edition lands in the output folder; intermediates stay with the doctrees.
    assert sorted(p.name for p in Path(built.outdir).iterdir()) == [
        "articles",
        "basic-test-book.pdf",
    ]


def test_outline_follows_the_contents(built: SphinxTestApp) -> None:
    reader = PdfReader(Path(built.outdir) / "basic-test-book.pdf")
    outline = pdf_outline(reader)
    assert [(title, depth) for title, depth, _ in outline] == [
        ("About", 1),
        ("First chapter", 1),
        ("Outlook", 2),
        ("Second chapter", 1),
        ("Outlook", 2),
        ("Glossary", 1),
        ("Index", 1),
    ]
    pages = [page for _, _, page in outline]
    assert pages == sorted(pages)
    # Title page, imprint and contents come first, and each chapter starts on a new page.
    assert pages[0] == 4
    chapter_pages = [page for _, depth, page in outline if depth == 1]
    assert len(set(chapter_pages)) == len(chapter_pages)


def test_every_internal_link_has_a_destination(built: SphinxTestApp) -> None:
    reader = PdfReader(Path(built.outdir) / "basic-test-book.pdf")
    report = pdf_broken_links(reader)
    assert report.broken == []
    targets = Counter(link.target for link in pdf_links(reader))
    # {term} references from both chapters, whichever of its names they use.
    assert (
        targets["glossary--term-API"] + targets["glossary--term-Application-programming-interface"]
        >= 2
    )
    # Sections with the same title in two documents stay two destinations.
    assert targets["second--second-outlook"] >= 1
    assert targets["first--first-outlook"] >= 1
    first = pdf_destination_page(reader, "first--first-outlook")
    second = pdf_destination_page(reader, "second--second-outlook")
    assert first < second
    # Each footnote reference leads to its own document's footnote.
    assert pdf_destination_page(reader, "first--id2") == first
    assert pdf_destination_page(reader, "second--id2") == second


def test_merged_document_has_unique_ids(built: SphinxTestApp) -> None:
    staged = Path(built.doctreedir) / "triptych-pdf" / "basic-test-book.html"
    tree = html.parse(str(staged))
    ids = Counter(str(value) for value in tree.xpath("//@id"))
    assert [name for name, count in ids.items() if count > 1] == []
    # The same footnote label and section title occur in both chapters, qualified apart.
    assert {"first--outlook", "second--outlook"} <= set(ids)
    hrefs = [str(h) for h in tree.xpath("//a/@href")]
    assert all(h.startswith("#") and h.count("#") == 1 for h in hrefs), hrefs
    assert all(h[1:] in ids for h in hrefs)


def test_numbers_match_the_other_editions(built: SphinxTestApp) -> None:
    staged = Path(built.doctreedir) / "triptych-pdf" / "basic-test-book.html"
    tree = html.parse(str(staged))
    captions = [
        " ".join(c.text_content().split()) for c in tree.xpath("//*[@class='caption-number']")
    ]
    assert captions == ["Fig. 1", "Table 1"]
    numrefs = [
        " ".join(a.text_content().split())
        for a in tree.xpath("//a[contains(@href, 'fig-square') or contains(@href, 'tbl-parts')]")
    ]
    assert numrefs == ["Fig. 1", "Table 1"]


def test_title_page_and_contents(built: SphinxTestApp) -> None:
    reader = PdfReader(Path(built.outdir) / "basic-test-book.pdf")
    title_page = reader.pages[0].extract_text()
    for expected in (
        "Basic Test Book",
        "A small publication for triptych's tests",
        "Ada Writer, Ben Editor",
        "1 March 2026",
    ):
        assert expected in title_page
    # The verso of the title page is the imprint, from the configuration.
    imprint = " ".join(reader.pages[1].extract_text().split())
    for expected in (
        "© 2026, Ada Writer",
        "Published by Test Press",
        "1 March 2026",
        f"Identifier: {publication_identifier(built.config)}",
    ):
        assert expected in imprint
    contents = reader.pages[2].extract_text()
    outline = pdf_outline(reader)
    # Each contents line ends with the page its entry really starts on.
    lines = [
        line.strip()
        for line in contents.splitlines()
        if line.strip() and line.strip() != "Contents"
    ]
    printed = [(line.rstrip("0123456789 .").strip(), int(line.split()[-1])) for line in lines]
    assert printed == [(title, page) for title, _, page in outline]
    assert reader.metadata is not None
    assert reader.metadata.title == "Basic Test Book"
    assert reader.metadata.author == "Ada Writer, Ben Editor"


def test_running_header_names_the_chapter(built: SphinxTestApp) -> None:
    reader = PdfReader(Path(built.outdir) / "basic-test-book.pdf")
    for title, depth, page in pdf_outline(reader):
        if depth == 1 and title != "About":
            assert reader.pages[page - 1].extract_text().splitlines()[0].strip() == title


def test_weasyprint_errors_fail_the_build(make_app, rootdir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from triptych.diagnostics import PdfRenderError

    srcdir = tmp_path / "broken"
    shutil.copytree(rootdir / "test-basic", srcdir)
    app = make_app("pdf", srcdir=srcdir)
    # A stylesheet the fetcher must refuse: it lies outside the source and build folders.
    app.builder.print_html = ""
    # Every print HTML (each part of the book, each article) is written by print_page.
    original = app.builder.print_page

    def with_foreign_image(*args, **kwargs):  # type: ignore[no-untyped-def]
        return original(*args, **kwargs).replace(
            "<main>", '<main><img src="file:///etc/hostname" alt="x">'
        )

    app.builder.print_page = with_foreign_image
    with pytest.raises(PdfRenderError, match="outside the project"):
        app.build()
    assert not (Path(app.outdir) / "basic-test-book.pdf").exists()


def test_page_reference_format_is_configurable(build_root: BuildRoot) -> None:
    app = build_root(
        "pdf", "test-glossary", confoverrides={"triptych_page_reference": ", page {page}"}
    )
    reader = PdfReader(Path(app.outdir) / "glossary-test.pdf")
    page = pdf_destination_page(reader, "alpha--alpha-interoperability")
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert f"See Interoperability in practice, page {page} and Fig. 1" in text
    audit = audit_page_numbers(Path(app.outdir) / "glossary-test.pdf", ", page {page}")
    assert audit.problems == []
    assert audit.page_references >= 1


def test_tagged_pdf_ua_with_language_and_title(built: SphinxTestApp) -> None:
    reader = PdfReader(Path(built.outdir) / "basic-test-book.pdf")
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    assert reader.metadata is not None
    assert reader.metadata.title == "Basic Test Book"
    assert reader.metadata.subject == "A small publication for triptych's tests"
    assert reader.metadata["/Keywords"] == "Testing, Publishing"


def test_every_font_is_embedded_and_bundled(built: SphinxTestApp) -> None:
    reader = PdfReader(Path(built.outdir) / "basic-test-book.pdf")
    fonts = {}
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()  # noqa: PLW2901
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            fonts[str(font["/BaseFont"])] = descendant["/FontDescriptor"].get_object()
    assert fonts
    for name, descriptor in fonts.items():
        # A subset tag, then one of the families triptych ships.
        assert name.split("+", 1)[1].startswith(
            ("Triptych-Serif", "Triptych-Sans", "Triptych-Mono")
        ), name
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), name


def test_article_pdfs_have_no_dangling_links(built: SphinxTestApp) -> None:
    articles = Path(built.outdir) / "articles"
    assert sorted(p.name for p in articles.iterdir()) == ["first.pdf", "glossary.pdf", "second.pdf"]
    for path in articles.iterdir():
        reader = PdfReader(path)
        assert pdf_broken_links(reader).broken == [], path.name
        assert reader.trailer["/Root"]["/Lang"] == "en"
    second = PdfReader(articles / "second.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in second.pages)
    # Without html_baseurl, a reference to another article keeps the book's page, unlinked.
    book = PdfReader(Path(built.outdir) / "basic-test-book.pdf")
    outlook, first = (
        pdf_destination_page(book, name) for name in ("first--first-outlook", "document-first")
    )
    assert (
        f"Back to Outlook (p. {outlook}), to the first chapter (p. {first}) and to Table 1." in text
    )
    assert not any(link.uri for link in pdf_links(second))
    # The glossary's back-references print the book's pages.
    glossary = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(articles / "glossary.pdf").pages
    )
    assert re.search(r"Used on pages? \d+", glossary)
    assert second.metadata is not None
    assert second.metadata.title == "Second chapter · Basic Test Book"


def test_article_pdfs_link_to_the_site_when_it_has_an_address(build_root: BuildRoot) -> None:
    app = build_root(
        "pdf", "test-basic", confoverrides={"html_baseurl": "https://example.org/book/"}
    )
    reader = PdfReader(Path(app.outdir) / "articles" / "second.pdf")
    uris = {link.uri for link in pdf_links(reader) if link.uri}
    assert {
        "https://example.org/book/first.html#first-outlook",
        "https://example.org/book/first.html",
        "https://example.org/book/glossary.html#term-Application-programming-interface",
    } <= uris
    # Every link is either internal and resolved, or one of these links to the site.
    assert all(
        "external link https://example.org/book/" in b for b in pdf_broken_links(reader).broken
    )
    # The glossary's back-references lead to the uses of its terms on the site.
    glossary = PdfReader(Path(app.outdir) / "articles" / "glossary.pdf")
    pages = {
        str(link.uri).partition("#")[0]
        for link in pdf_links(glossary)
        if link.uri and link.page > 1
    }
    assert pages == {"https://example.org/book/first.html", "https://example.org/book/second.html"}


def test_paper_size_and_right_hand_chapters(build_root: BuildRoot) -> None:
    overrides = {"triptych_paper_size": "Letter", "triptych_chapter_start": "right"}
    app = build_root("pdf", "test-basic", confoverrides=overrides)
    reader = PdfReader(Path(app.outdir) / "basic-test-book.pdf")
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    for title, depth, page in pdf_outline(reader):
        if depth == 1:
            assert page % 2 == 1, (title, page)


def test_figure_without_alt_text_is_a_warning(build_root: BuildRoot) -> None:
    app = build_root("html", "test-noalt")
    assert re.search(
        r"index\.md:5: WARNING: image figures/square\.svg has no alt text; describe it with :alt: "
        r"\[triptych\.image_alt\]",
        app.warning.getvalue(),
    ), app.warning.getvalue()


def test_rendering_the_print_html_again_changes_nothing(build_root: BuildRoot) -> None:
    """The writer adds admonition titles to what it walks: a second rendering must not repeat them."""
    app = build_root("pdf", "test-faithful")
    builder = app.builder
    first = builder.render_print_html(builder.chapters, builder.order)
    assert builder.render_print_html(builder.chapters, builder.order) == first
    from lxml import html

    boxes = html.fromstring(first).xpath(
        "//div[contains(concat(' ', @class, ' '), ' admonition ')]"
    )
    assert boxes
    for box in boxes:
        assert len(box.xpath("./p[contains(@class, 'admonition-title')]")) == 1


def word_boxes(pdf: Path) -> list[tuple[int, str, float, float, float, float, float, float]]:
    """(page, word, xMin, yMin, xMax, yMax, page width, page height) of every word poppler reads."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True
    ).stdout
    boxes = []
    for number, page in enumerate(html.fromstring(xhtml).iter("page"), start=1):
        width, height = float(page.get("width")), float(page.get("height"))
        for word in page.iter("word"):
            edges = [float(word.get(edge)) for edge in ("xmin", "ymin", "xmax", "ymax")]
            boxes.append((number, word.text or "", *edges, width, height))  # type: ignore[arg-type]
    return boxes


def test_a_table_of_twelve_columns_keeps_every_word_on_the_page(tmp_path: Path) -> None:
    # The twelfth column ran off the page, silently; words too long for their column now
    # break inside the column, and a table of many columns is set smaller.
    out = triptych_build(Path(__file__).parent / "roots" / "test-wide-table", tmp_path, "-f", "pdf")
    boxes = word_boxes(out / "pdf" / "wide-table.pdf")
    outside = [
        (page, word)
        for page, word, x_min, y_min, x_max, y_max, width, height in boxes
        if x_min < 0 or y_min < 0 or x_max > width or y_max > height
    ]
    assert outside == []
    (table_page,) = {page for page, word, *_ in boxes if word == "Header"}
    words = [word for page, word, *_ in boxes if page == table_page]
    for label in ("Header", "column"):
        numbered = [after for word, after in itertools.pairwise(words) if word == label]
        assert numbered == [str(n) for n in range(1, 13)]
    # The long words are all there, broken within their columns.
    text = "".join(words)
    for number in range(1, 13):
        assert text.count(f"word{number:02d}") == 1
    (table,) = html.parse(str(out / "doctrees" / "triptych-pdf" / "wide-table.html")).xpath(
        "//table"
    )
    assert "triptych-wide-table" in table.get("class").split()


def test_a_root_page_of_a_title_and_contents_leaves_no_blank_page(tmp_path: Path) -> None:
    """The title page and the contents print all such a root page holds: the first article
    follows the contents, and a link to the root page still lands in the book."""
    from triptych import cli

    source = tmp_path / "book"
    source.mkdir()
    (source / "conf.py").write_text('project = "Two Notes"\nauthor = "A. Writer"\n')
    (source / "index.md").write_text("# Home\n\n```{toctree}\nfirst\nsecond\n```\n")
    (source / "first.md").write_text("# First\n\nThe first note, which links [home](index.md).\n")
    (source / "second.md").write_text("# Second\n\nThe second note.\n")
    out = tmp_path / "out"
    assert cli.main(["build", str(source), "-o", str(out), "-q", "-W", "-f", "pdf"]) == 0
    pdf = out / "pdf" / "two-notes.pdf"
    texts = pdf_page_texts(pdf)
    blank = [page for page, text in enumerate(texts, 1) if not re.sub(r"\d+", "", text).strip()]
    assert blank == []
    contents = next(page for page, text in enumerate(texts, 1) if "Contents" in text)
    assert texts[contents].split()[0] == "First"
    assert audit_page_numbers(pdf).problems == []


def test_a_footnote_printed_past_its_page_is_reported_at_its_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from io import StringIO

    from sphinx.testing.util import SphinxTestApp
    from sphinx.util.console import strip_escape_sequences

    from triptych.builders.pdf import layout, parts

    (tmp_path / "conf.py").write_text('project = "Notes"\nextensions = ["triptych"]\n')
    (tmp_path / "index.rst").write_text("Notes\n=====\n\n.. toctree::\n\n   tides\n")
    (tmp_path / "tides.rst").write_text(
        "Tides\n=====\n\nText.\n\nThe tide turns [#turn]_ twice a day.\n\n"
        ".. [#turn] Twice, in most places.\n"
    )

    # However short the page, WeasyPrint is taken to have moved every footnote on.
    def every_note_moved(_document: object, pairs: list[tuple[str, str]]) -> list[tuple[int, str]]:
        return [(1, note) for _call, note in pairs]

    monkeypatch.setattr(layout, "separated_footnotes", every_note_moved)
    monkeypatch.setattr(parts, "separated_footnotes", every_note_moved)
    app = SphinxTestApp("pdf", srcdir=tmp_path, status=StringIO(), warning=StringIO())  # type: ignore[arg-type]
    try:
        app.build()
    finally:
        app.cleanup()
    warnings = strip_escape_sequences(app.warning.getvalue())  # type: ignore[attr-defined]
    assert re.search(
        rf"^{re.escape(str(tmp_path / 'tides.rst'))}:6: WARNING: a footnote called on page \d+ "
        r"is printed on a later page \[triptych\.footnote_page\]$",
        warnings,
        re.MULTILINE,
    ), warnings


def test_images_aligned_by_the_author_stand_where_they_are_aligned(tmp_path: Path) -> None:
    """``:align: center`` and ``:align: right`` were left at the left margin in print."""
    from PIL import Image

    source = tmp_path / "aligned"
    source.mkdir()
    (source / "conf.py").write_text('project = "Aligned"\nextensions = ["triptych"]\n')
    colours = {"left": (255, 0, 0), "center": (0, 160, 0), "right": (0, 0, 255)}
    for align, colour in colours.items():
        Image.new("RGB", (60, 30), colour).save(source / f"{align}.png")
    (source / "index.md").write_text("# Aligned\n\n```{toctree}\nimages\n```\n")
    (source / "images.md").write_text(
        "# Images\n\n"
        + "".join(
            f"```{{image}} {align}.png\n:alt: A {align} block\n:align: {align}\n```\n\n"
            for align in colours
        )
    )
    out = triptych_build(source, tmp_path, "-f", "pdf")
    reader = PdfReader(out / "pdf" / "aligned.pdf")
    page = next(
        number
        for number, sheet in enumerate(reader.pages, start=1)
        if "Images" in (sheet.extract_text() or "") and sheet.images
    )
    png = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", "40", "-f", str(page), "-l", str(page), "-png", str(out / "pdf" /
         "aligned.pdf"), str(png)], check=True,
    )  # fmt: skip
    (rendered,) = tmp_path.glob("page*.png")
    image = Image.open(rendered).convert("RGB")
    spans = {}
    for align, colour in colours.items():
        columns = [
            x
            for x in range(image.width)
            for y in range(0, image.height, 2)
            if all(abs(a - b) < 40 for a, b in zip(image.getpixel((x, y)), colour, strict=True))
        ]
        spans[align] = (min(columns), max(columns))
    left, center, right = spans["left"], spans["center"], spans["right"]
    assert left[0] < center[0] < right[0]
    # Each on a line of its own, from margin to margin (the text block is most of the page's
    # width): not three images side by side at the left.
    assert right[1] - left[0] > image.width * 0.6, spans
    # Centred between the left and right margins that the other two touch.
    middle = (left[0] + right[1]) / 2
    assert abs((center[0] + center[1]) / 2 - middle) <= 3, spans
