"""Reading and writing in parallel gives the same editions as doing it serially."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from lxml import html
from pypdf import PdfReader

from outputs import Epub, triptych_build
from triptych.checks.audit import audit_editions, report

if TYPE_CHECKING:
    from pathlib import Path


def build(rootdir: Path, work: Path, jobs: str) -> Path:
    # Eight articles and a glossary: Sphinx only reads in parallel from six documents on.
    return triptych_build(rootdir / "test-parallel", work, "-j", jobs)


@pytest.fixture(scope="module")
def serial(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(rootdir, tmp_path_factory.mktemp("serial"), "1")


@pytest.fixture(scope="module")
def parallel(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(rootdir, tmp_path_factory.mktemp("parallel"), "2")


def test_parallel_epub_is_identical(serial: Path, parallel: Path) -> None:
    assert (parallel / "epub" / "parallel.epub").read_bytes() == (
        serial / "epub" / "parallel.epub"
    ).read_bytes()
    epub = Epub.open(parallel / "epub" / "parallel.epub")
    # cover, title page and contents; the root, 8 parts, glossary; the book's index
    assert len(epub.spine) == 3 + 10 + 1
    assert epub.check_links().broken == []


def test_parallel_pdf_is_identical(serial: Path, parallel: Path) -> None:
    assert (parallel / "pdf" / "parallel.pdf").read_bytes() == (
        serial / "pdf" / "parallel.pdf"
    ).read_bytes()
    text = "".join(
        page.extract_text() for page in PdfReader(parallel / "pdf" / "parallel.pdf").pages
    )
    for number in range(1, 9):
        assert f"Fig. {number} Square number {number}." in text


def test_parallel_html_pages_are_identical(serial: Path, parallel: Path) -> None:
    for page in sorted((serial / "html").glob("*.html")):
        assert (parallel / "html" / page.name).read_text() == page.read_text(), page.name


def test_parallel_glossary_has_every_back_reference(parallel: Path) -> None:
    glossary = html.parse(str(parallel / "html" / "glossary.html"))
    # Each part names its own term and the next one's: two back-references per term.
    for number in range(1, 9):
        entry = glossary.xpath(f"//dt[@id='term-Term-{number}']/following-sibling::dd[1]")[0]
        assert len(entry.xpath(".//p[@class='triptych-backrefs']//a")) == 2
    table, passed = report(audit_editions(parallel))
    assert passed, table
