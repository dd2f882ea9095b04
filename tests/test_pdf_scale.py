"""The PDF of a long book: costs that must not grow faster than its pages."""

from __future__ import annotations

import shutil
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import lxml.html
import pydyf
import pytest
from pypdf import PdfReader
from sphinx.testing.util import SphinxTestApp

from conftest import ROOTS
from outputs import pdf_destination_page
from triptych.builders import pdf as pdf_builder
from triptych.builders.pdf import pydyf_pages
from triptych.builders.pdf.layout import PrintLayout
from triptych.builders.pdf.pagemap import UNKNOWN_PAGE, PagesNotSettled, estimated_pages, page_map
from triptych.builders.pdf.stitch import DESTINATION_SCHEME
from triptych.checks.pages import audit_page_numbers


class CountingArray(pydyf.Array):
    """A page tree's ``Kids`` that counts how often it is read whole."""

    def __init__(self) -> None:
        super().__init__()
        self.slices = 0

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        if isinstance(index, slice):
            self.slices += 1
        return super().__getitem__(index)


def pdf_of(pages: int) -> tuple[pydyf.PDF, CountingArray]:
    pdf = pydyf.PDF()
    kids = CountingArray()
    pdf.pages["Kids"] = kids
    for _ in range(pages):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    return pdf, kids


def test_page_references_are_not_rebuilt_on_every_read() -> None:
    # WeasyPrint reads them once per structure element when it tags a PDF: on a long book,
    # rebuilding them each time made tagging grow with the square of the pages.
    assert pydyf_pages.keep_page_references()
    pdf, kids = pdf_of(200)
    references = [pdf.page_references[number] for number in range(200) for _ in range(5)]
    assert kids.slices == 1
    assert references[::5] == [f"{page.number} 0 R".encode() for page in pdf.objects[3:]]


def test_page_references_follow_pages_added_after_a_read() -> None:
    assert pydyf_pages.keep_page_references()
    pdf, _kids = pdf_of(3)
    assert len(pdf.page_references) == 3
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert len(pdf.page_references) == 4
    assert pdf.page_references[3] == f"{pdf.objects[-1].number} 0 R".encode()
    # A page tree replaced whole is read anew.
    pdf.pages["Kids"] = pydyf.Array([7, 0, "R"])
    assert pdf.page_references == (b"7 0 R",)


@pytest.mark.parametrize("version", ["0.10.0", "0.14.0", "1.0.0"])
def test_unchecked_pydyf_versions_are_left_alone(
    monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    original = property(lambda pdf: ())
    monkeypatch.setattr(pydyf.PDF, "page_references", original)
    assert not pydyf_pages.keep_page_references(version)
    assert pydyf.PDF.page_references is original


def build_counting_layouts(
    srcdir: Path, monkeypatch: pytest.MonkeyPatch, article_pdfs: bool = False
) -> tuple[SphinxTestApp, list[str]]:
    """Build the PDF of *srcdir*, noting the print HTML of every layout of the book."""
    layouts: list[str] = []
    render = PrintLayout.render

    def counted(layout: PrintLayout, html: str) -> Any:
        layouts.append(html)
        return render(layout, html)

    monkeypatch.setattr(PrintLayout, "render", counted)
    app = SphinxTestApp(
        "pdf", srcdir=srcdir, status=StringIO(), warning=StringIO(),
        confoverrides={"triptych_article_pdfs": article_pdfs},
    )  # fmt: skip
    try:
        app.build()
    finally:
        app.cleanup()
        monkeypatch.setattr(PrintLayout, "render", render)
    return app, layouts


def printed_pages(html: str) -> dict[str, str]:
    """What each page slot of a print HTML prints, by its target."""
    tree = lxml.html.fromstring(html)
    return {
        unquote(str(link.get("href")).removeprefix("#").removeprefix(DESTINATION_SCHEME)): str(
            link.get("data-page")
        )
        for link in tree.xpath("//a[@data-page]")
    }


def book_parts(layouts: list[str]) -> dict[str, list[str]]:
    """The layouts of the book (not of the article PDFs), by the part they lay out."""
    parts: dict[str, list[str]] = {}
    for html in layouts:
        tree = lxml.html.fromstring(html)
        if tree.xpath("//*[@class='triptych-publication-title']"):
            continue
        first = tree.xpath("//main/*[1]//@id | //nav[@class='triptych-contents']/@class")
        parts.setdefault(str(first[0]) if first else "", []).append(html)
    return parts


def test_the_first_guess_of_the_pages_is_close_to_the_layout(tmp_path: Path) -> None:
    """The guess printed by the first layout of a book with no previous build, against what
    WeasyPrint lays out: chapters of prose, lists and headings, over a hundred pages."""
    words = [
        "alliance",
        "treaty",
        "doctrine",
        "exercise",
        "border",
        "staff",
        "air",
        "defence",
        "union",
        "command",
    ]
    chapters = []
    for chapter in range(24):
        blocks = [f'<h1 id="chapter-{chapter}">Chapter {chapter}</h1>']
        for block in range(24):
            length = 20 + (chapter * 7 + block * 13) % 90
            text = " ".join(words[(chapter + block + n) % len(words)] for n in range(length))
            if block % 6 == 5:
                blocks.append(
                    f'<ul id="list-{chapter}-{block}"><li>{text}</li><li>{text}</li></ul>'
                )
            else:
                blocks.append(f'<p id="block-{chapter}-{block}">{text}.</p>')
        chapters.append(f'<section class="triptych-chapter">{"".join(blocks)}</section>')
    html = f"<html><head></head><body><main>{''.join(chapters)}</main></body></html>"
    layout = PrintLayout(
        roots=(tmp_path,), base_dir=tmp_path, extra_css="", paper_size="A4",
        chapter_start="page", page_reference="(p. {page})", pdf_variant="",
    )  # fmt: skip
    laid_out = page_map(layout.render(html))
    guessed = estimated_pages(html)
    assert max(laid_out.values()) > 100
    assert guessed.keys() >= laid_out.keys()
    far = {
        anchor: (guessed[anchor], page)
        for anchor, page in laid_out.items()
        if abs(guessed[anchor] - page) > max(2, page // 10)
    }
    assert not far
    # As many figures as the true page, for all but a few near a power of ten.
    wrong_width = [a for a, page in laid_out.items() if len(str(guessed[a])) != len(str(page))]
    assert len(wrong_width) <= len(laid_out) // 10, wrong_width


def test_page_numbers_are_written_from_the_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-basic", srcdir)
    app, layouts = build_counting_layouts(srcdir, monkeypatch)
    assert app.warning.getvalue() == ""
    pdf = Path(app.outdir) / "basic-test-book.pdf"
    assert audit_page_numbers(pdf).problems == []
    # The first layout of each part prints guessed pages; the true ones are written over
    # them wherever they are as wide, and the part is not laid out again (a number of
    # another width, a page list shortened once its pages are known, are).
    parts = book_parts(layouts)
    assert len(parts) >= 3
    assert {name: len(part) for name, part in parts.items()} == {
        # The contents and the chapters: once. The index: its locators joined into ranges.
        "triptych-contents": 1, "document-index": 1, "triptych-index": 2,
    }  # fmt: skip
    front = parts.pop("triptych-contents")
    first, last = printed_pages(front[0]), printed_pages(front[-1])
    assert first.keys() == last.keys()
    assert UNKNOWN_PAGE not in first.values()
    assert all(len(first[target]) == len(page) for target, page in last.items())
    reader = PdfReader(pdf)
    assert len(last) >= 5
    for target, page in last.items():
        assert page == str(pdf_destination_page(reader, target)), target
    # The saved page map is the next build's first guess: without the kept PDFs, each part of
    # the book is laid out once.
    shutil.rmtree(Path(app.doctreedir) / "triptych-pdf" / "kept")
    app, layouts = build_counting_layouts(srcdir, monkeypatch)
    again = book_parts(layouts)
    assert again.keys() == {*parts, "triptych-contents"}
    assert all(len(part) == 1 for part in again.values())
    assert printed_pages(again["triptych-contents"][0]) == last
    assert audit_page_numbers(Path(app.outdir) / "basic-test-book.pdf").problems == []


def test_page_numbers_that_do_not_settle_fail_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-basic", srcdir)
    monkeypatch.setattr(pdf_builder, "MAX_LAYOUTS", 1)
    with pytest.raises(PagesNotSettled, match=r"did not settle after 1 layouts \(\d+ still wrong"):
        build_counting_layouts(srcdir, monkeypatch)
    assert not (srcdir / "_build" / "pdf" / "basic-test-book.pdf").exists()


def test_an_unchanged_rebuild_lays_out_no_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-basic", srcdir)
    app, layouts = build_counting_layouts(srcdir, monkeypatch, article_pdfs=True)
    outdir = Path(app.outdir)
    pdfs = sorted(outdir.rglob("*.pdf"))
    assert [path.name for path in pdfs] == [
        "first.pdf",
        "glossary.pdf",
        "second.pdf",
        "basic-test-book.pdf",
    ]
    first = {path: path.read_bytes() for path in pdfs}
    # The book, then the covers of the article PDFs: the articles are cut from the book.
    assert len(layouts) >= 2
    assert sum("triptych-cover" in html for html in layouts) == 1
    for path in pdfs:
        path.unlink()

    app, layouts = build_counting_layouts(srcdir, monkeypatch, article_pdfs=True)
    assert layouts == []
    assert app.warning.getvalue() == ""
    assert {path: path.read_bytes() for path in sorted(outdir.rglob("*.pdf"))} == first

    # One sentence edited: the book is laid out again; its pages did not move, so the covers
    # are the last build's.
    article = srcdir / "second.md"
    article.write_text(article.read_text().replace("again.", "once more."))
    app, layouts = build_counting_layouts(srcdir, monkeypatch, article_pdfs=True)
    assert layouts
    # Only the part of the book holding the article is laid out again: no page number moved.
    assert all("once more." in html for html in layouts)
    book, second = (
        PdfReader(outdir / name) for name in ("basic-test-book.pdf", "articles/second.pdf")
    )
    assert any("once more." in page.extract_text() for page in book.pages)
    assert "once more." in second.pages[1].extract_text()
    assert (
        second.pages[0].extract_text()
        == PdfReader(BytesIO(first[outdir / "articles" / "second.pdf"])).pages[0].extract_text()
    )
    assert audit_page_numbers(outdir / "basic-test-book.pdf").problems == []


def test_a_changed_setting_lays_the_book_out_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-basic", srcdir)
    build_counting_layouts(srcdir, monkeypatch)
    conf = srcdir / "conf.py"
    conf.write_text(conf.read_text() + '\ntriptych_paper_size = "Letter"\n')
    app, layouts = build_counting_layouts(srcdir, monkeypatch)
    assert layouts
    width, height = PdfReader(Path(app.outdir) / "basic-test-book.pdf").pages[0].mediabox[2:]
    assert (round(float(width)), round(float(height))) == (612, 792)


def test_a_later_build_date_lays_out_no_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without SOURCE_DATE_EPOCH every build is dated anew: the date must not be what decides
    # whether the book is laid out again.
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-basic", srcdir)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    app, layouts = build_counting_layouts(srcdir, monkeypatch)
    assert layouts
    first = (Path(app.outdir) / "basic-test-book.pdf").read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767312000")
    app, layouts = build_counting_layouts(srcdir, monkeypatch)
    assert layouts == []
    assert (Path(app.outdir) / "basic-test-book.pdf").read_bytes() == first
