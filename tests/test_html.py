"""The HTML site: links resolve, and every page offers the PDF and the EPUB."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from lxml import html

from outputs import check_html_links, triptych_build
from triptych.checks.audit import audit_editions, report

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def site(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return triptych_build(rootdir / "test-basic", tmp_path_factory.mktemp("html"))


def test_internal_links_resolve(site: Path) -> None:
    report = check_html_links(site / "html")
    assert report.checked > 40
    assert report.broken == []


def test_every_page_links_to_both_downloads(site: Path) -> None:
    pages = sorted((site / "html").glob("*.html"))
    documents = [p for p in pages if p.stem not in {"genindex", "search"}]
    assert {p.stem for p in documents} == {"index", "first", "second", "glossary"}
    for page in documents:
        tree = html.parse(str(page))
        hrefs = tree.xpath("//div[contains(@class, 'triptych-downloads')]//a/@href")
        expected = ["_downloads/basic-test-book.pdf", "_downloads/basic-test-book.epub"]
        if page.stem != "index":  # each article also offers its own PDF
            expected.append(f"_downloads/articles/{page.stem}.pdf")
        assert hrefs == expected, page
        for href in hrefs:
            copied = (page.parent / href).read_bytes()
            built = (
                site
                / ("pdf" if href.endswith(".pdf") else "epub")
                / href.removeprefix("_downloads/")
            )
            assert copied == built.read_bytes()


def test_terms_link_to_the_glossary(site: Path) -> None:
    tree = html.parse(str(site / "html" / "first.html"))
    assert "glossary.html#term-API" in tree.xpath("//a/@href")


def test_all_editions_agree(site: Path) -> None:
    # The root's byline names a glossary term; the title page stands in for it in print,
    # so it is no use of the term in any edition.
    table, passed = report(audit_editions(site))
    assert passed, table
    glossary = html.parse(str(site / "html" / "glossary.html"))
    assert "index.html" not in " ".join(glossary.xpath("//p[@class='triptych-backrefs']//a/@href"))
