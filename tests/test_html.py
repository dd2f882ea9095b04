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


def test_the_site_audit_finds_each_broken_link_of_each_page(tmp_path: Path) -> None:
    """Links looked up once per folder must still be read against their own page."""
    site = tmp_path / "html"
    (site / "guide").mkdir(parents=True)
    pages = {
        "index.html": '<p id="top"><a href="#top">up</a> <a href="guide/one.html#two">2</a></p>',
        "other.html": '<p id="else"><a href="#top">up</a> <a href="index.html#top">home</a></p>',
        "guide/one.html": '<h1 id="two">Two</h1><a href="../missing.html">gone</a>'
        '<a href="../index.html#nowhere">x</a><a href="#two">here</a>',
        "guide/two.html": '<a href="#two">not here</a><a href="../guide/">folder</a>',
    }
    for name, body in pages.items():
        (site / name).write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    audit = audit_editions(tmp_path)[0]
    assert audit.links == 9
    assert sorted(audit.broken) == [
        "guide/one.html: ../index.html#nowhere: no such id",
        "guide/one.html: ../missing.html: no such file",
        "guide/two.html: #two: no such id",
        "guide/two.html: ../guide/: no such file",
        "other.html: #top: no such id",
    ]


def test_the_audit_before_publishing_reads_again_only_the_pages_written_since(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the last audit read of a page is taken back while the page is the same file; a
    page written again is read again, and links to it are checked against what it now holds."""
    from triptych.checks import audit as audit_module
    from triptych.run.publish import broken_links

    site = tmp_path / "html"
    site.mkdir()
    pages = {
        "index.html": '<p id="top"><a href="one.html#two">2</a> <a href="#top">up</a></p>',
        "one.html": '<h1 id="two">Two</h1><a id="term-a-use-1" href="index.html#top">home</a>',
        "glossary.html": '<dl class="glossary"><dt id="term-a">A</dt><dd>'
        '<p class="triptych-backrefs"><a href="one.html#term-a-use-1">One</a></p></dd></dl>',
    }
    for name, body in pages.items():
        (site / name).write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    read: list[str] = []
    real = audit_module.SitePage.read

    def counted(path: Path) -> audit_module.SitePage:
        read.append(path.name)
        return real(path)

    monkeypatch.setattr(audit_module.SitePage, "read", counted)
    assert broken_links("html", site) == []
    assert sorted(read) == ["glossary.html", "index.html", "one.html"]
    assert (tmp_path / "html.audit.json").is_file()  # beside the site, not in it
    read.clear()
    (site / "one.html").write_text("<html><body><h1 id='three'>Three</h1></body></html>")
    assert broken_links("html", site) == [
        "glossary.html: one.html#term-a-use-1: no such id",
        "index.html: one.html#two: no such id",
    ]
    assert read == ["one.html"]
    kept = audit_module.audit_html(site, kept=tmp_path / "html.audit.json")
    fresh = audit_module.audit_html(site)
    assert (kept.links, kept.broken, kept.terms) == (fresh.links, fresh.broken, fresh.terms)
    assert kept.glossary_documents == fresh.glossary_documents == {"glossary"}
    assert kept.back_references == fresh.back_references


def test_an_image_with_no_file_is_its_text_on_the_site_as_in_the_books(tmp_path: Path) -> None:
    """Sphinx warns of it and leaves an ``<img>`` pointing at nothing: a broken image."""
    from PIL import Image

    from triptych import cli

    source = tmp_path / "images"
    source.mkdir()
    (source / "conf.py").write_text('project = "Images"\nextensions = ["triptych"]\n')
    Image.new("RGB", (8, 8), (0, 0, 255)).save(source / "present.png")
    (source / "index.md").write_text(
        "# Images\n\n![A present chart](present.png)\n\n![A missing chart](missing.png)\n"
    )
    out = tmp_path / "out"
    assert cli.main(["build", str(source), "-o", str(out), "-q", "-f", "html"]) == 0
    page = html.parse(str(out / "html" / "index.html"))
    assert page.xpath("//img/@alt") == ["A present chart"]
    (source_of_present,) = page.xpath("//img/@src")
    assert (out / "html" / source_of_present).is_file()
    assert page.xpath("//span[@class='triptych-missing-image']/text()") == ["A missing chart"]
