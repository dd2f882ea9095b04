"""The EPUB edition, built from a small test root with the ``ebook`` builder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from outputs import NS, Epub, epubcheck_messages

if TYPE_CHECKING:
    from sphinx.testing.util import SphinxTestApp

    from conftest import BuildRoot


def build(make_app, rootdir: Path, srcdir: Path):  # type: ignore[no-untyped-def]
    shutil.copytree(rootdir / "test-basic", srcdir)
    app = make_app("ebook", srcdir=srcdir)
    app.build()
    return app


@pytest.fixture(scope="module")
def built(build_root: BuildRoot) -> SphinxTestApp:
    return build_root("ebook", "test-basic")


@pytest.fixture(scope="module")
def epub(built: SphinxTestApp) -> Epub:
    return Epub.open(Path(built.outdir) / "basic-test-book.epub")


def test_builds_only_the_epub(built: SphinxTestApp) -> None:
    assert built.warning.getvalue() == ""
    assert sorted(p.name for p in Path(built.outdir).iterdir()) == ["basic-test-book.epub"]


def test_metadata(epub: Epub) -> None:
    assert epub.metadata("title") == ["Basic Test Book"]
    assert epub.metadata("language") == ["en"]
    assert epub.metadata("creator") == ["Ada Writer", "Ben Editor"]
    (identifier,) = epub.metadata("identifier")
    assert identifier.startswith("urn:uuid:")
    # The modified date is SOURCE_DATE_EPOCH (set by conftest), in UTC.
    assert epub.meta_property("dcterms:modified") == ["2026-01-01T00:00:00Z"]


def test_spine_follows_the_toctree(epub: Epub) -> None:
    assert epub.spine == [
        "EPUB/index.xhtml",
        "EPUB/first.xhtml",
        "EPUB/second.xhtml",
        "EPUB/glossary.xhtml",
    ]
    assert epub.nav_toc() == [
        ("First chapter", "EPUB/first.xhtml", 1),
        ("Outlook", "EPUB/first.xhtml#first-outlook", 2),
        ("Second chapter", "EPUB/second.xhtml", 1),
        ("Outlook", "EPUB/second.xhtml#second-outlook", 2),
        ("Glossary", "EPUB/glossary.xhtml", 1),
    ]
    ncx = [item for item in epub.manifest.values() if item[1] == "application/x-dtbncx+xml"]
    assert len(ncx) == 1


def test_links_across_chapters_resolve(epub: Epub) -> None:
    report = epub.check_links()
    assert report.broken == []
    first = epub.xhtml("EPUB/first.xhtml")
    hrefs = first.xpath("//xhtml:a/@href", namespaces=NS)
    assert "glossary.xhtml#term-API" in hrefs
    assert "second.xhtml#second-outlook" in hrefs
    # Stylesheet and image are items of the package, linked from the chapter.
    assert first.xpath("//xhtml:link[@rel='stylesheet']/@href", namespaces=NS) == [
        "_static/quire-epub.css"
    ]
    assert first.xpath("//xhtml:img/@src", namespaces=NS) == ["_images/square.svg"]
    assert not first.xpath("//xhtml:script", namespaces=NS)


def test_epubcheck_reports_nothing(epub: Epub) -> None:
    assert epubcheck_messages(epub.path) == []


def test_archive_layout_and_reproducibility(
    make_app, rootdir: Path, tmp_path: Path, epub: Epub
) -> None:  # type: ignore[no-untyped-def]
    infos = epub.archive.infolist()
    assert infos[0].filename == "mimetype"
    assert infos[0].compress_type == 0
    assert epub.archive.read("mimetype") == b"application/epub+zip"
    again = build(make_app, rootdir, tmp_path / "again")
    assert (Path(again.outdir) / "basic-test-book.epub").read_bytes() == epub.path.read_bytes()
