"""The EPUB edition: metadata, reading order, navigation, cover, validity and accessibility."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import PIL.Image
import pytest
from ebooklib import epub as ebooklib_epub

from outputs import NS, Epub, epubcheck_messages, triptych_build
from triptych import cli
from triptych.checks import validators
from triptych.diagnostics import EpubWriteError

if TYPE_CHECKING:
    from sphinx.testing.util import SphinxTestApp

    from conftest import BuildRoot

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


@pytest.fixture(scope="module")
def built(build_root: BuildRoot) -> SphinxTestApp:
    return build_root("ebook", "test-basic")


@pytest.fixture(scope="module")
def epub(built: SphinxTestApp) -> Epub:
    return Epub.open(Path(built.outdir) / "basic-test-book.epub")


def test_builds_only_the_epub(built: SphinxTestApp) -> None:
    assert built.warning.getvalue() == ""
    assert sorted(p.name for p in Path(built.outdir).iterdir()) == ["basic-test-book.epub"]


def test_metadata_from_the_configuration(epub: Epub) -> None:
    assert epub.opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert epub.metadata("title") == ["Basic Test Book", "A small publication for triptych's tests"]
    assert epub.meta_refining("subtitle", "title-type") == ["subtitle"]
    assert epub.metadata("language") == ["en"]
    assert epub.metadata("creator") == ["Ada Writer", "Ben Editor"]
    assert epub.metadata("publisher") == ["Test Press"]
    assert epub.metadata("rights") == ["© 2026, Ada Writer"]
    assert epub.metadata("subject") == ["Testing", "Publishing"]
    assert epub.metadata("description") == ["A small publication for triptych's tests"]
    (identifier,) = epub.metadata("identifier")
    assert identifier.startswith("urn:uuid:")
    # The modified date is SOURCE_DATE_EPOCH (set by conftest), in UTC.
    assert epub.meta_property("dcterms:modified") == ["2026-01-01T00:00:00Z"]


def test_accessibility_metadata(epub: Epub) -> None:
    assert epub.meta_property("schema:accessMode") == ["textual", "visual"]
    assert epub.meta_property("schema:accessModeSufficient") == ["textual"]
    assert "alternativeText" in epub.meta_property("schema:accessibilityFeature")
    assert "tableOfContents" in epub.meta_property("schema:accessibilityFeature")
    assert epub.meta_property("schema:accessibilityHazard") == ["none"]
    (summary,) = epub.meta_property("schema:accessibilitySummary")
    assert "table of contents" in summary


def test_spine_follows_the_table_of_contents(epub: Epub) -> None:
    assert epub.spine == [
        "EPUB/cover.xhtml",
        "EPUB/titlepage.xhtml",
        "EPUB/nav.xhtml",
        "EPUB/index.xhtml",
        "EPUB/first.xhtml",
        "EPUB/second.xhtml",
        "EPUB/glossary.xhtml",
        "EPUB/genindex.xhtml",
    ]
    toc = epub.nav_toc()
    assert toc == [
        ("About", "EPUB/index.xhtml#about", 1),
        ("First chapter", "EPUB/first.xhtml", 1),
        ("Outlook", "EPUB/first.xhtml#first-outlook", 2),
        ("Second chapter", "EPUB/second.xhtml", 1),
        ("Outlook", "EPUB/second.xhtml#second-outlook", 2),
        ("Glossary", "EPUB/glossary.xhtml", 1),
        ("Index", "EPUB/genindex.xhtml", 1),
    ]
    documents_in_toc = list(dict.fromkeys(href.split("#")[0] for _, href, _ in toc))
    assert [doc for doc in epub.spine if doc in documents_in_toc] == documents_in_toc
    assert len([i for i in epub.manifest.values() if i[1] == "application/x-dtbncx+xml"]) == 1


def test_landmarks(epub: Epub) -> None:
    nav = epub.xhtml(epub.nav_path)
    (landmarks,) = nav.xpath("//xhtml:nav[@epub:type='landmarks']", namespaces=NS)
    marks = {
        a.get(EPUB_TYPE): epub.resolve(a.get("href"), epub.nav_path)
        for a in landmarks.xpath(".//xhtml:a", namespaces=NS)
    }
    assert marks == {
        "cover": "EPUB/cover.xhtml",
        "titlepage": "EPUB/titlepage.xhtml",
        "toc": "EPUB/nav.xhtml",
        "bodymatter": "EPUB/first.xhtml",
        "glossary": "EPUB/glossary.xhtml",
        "index": "EPUB/genindex.xhtml",
    }
    # Landmarks are for reading systems: the contents page shows only the contents.
    assert landmarks.get("hidden") == ""
    assert not nav.xpath("//xhtml:nav[@epub:type='toc'][@hidden]", namespaces=NS)
    assert nav.xpath("//xhtml:link[@rel='stylesheet']/@href", namespaces=NS) == [
        "_static/triptych-epub.css"
    ]
    assert not nav.xpath("//xhtml:nav[@epub:type='page-list']", namespaces=NS)


def test_generated_cover_and_title_page(epub: Epub) -> None:
    covers = [path for path, _, props in epub.manifest.values() if "cover-image" in props.split()]
    # The thumbnail is a raster image; the cover page shows the SVG beside it.
    assert covers == ["EPUB/_images/cover.png"]
    with PIL.Image.open(io.BytesIO(epub.archive.read(covers[0]))) as raster:
        assert raster.format == "PNG"
        assert raster.size == (1600, 2400)
        # Drawn, not blank: the field, the rule and the text.
        assert len(raster.getcolors(maxcolors=1 << 16) or ()) > 3
    svg = epub.archive.read("EPUB/_images/cover.svg").decode()
    assert "Basic Test Book" in svg and "A small publication for triptych" in svg
    assert "EPUB/_images/cover.svg" in [path for path, _, _ in epub.manifest.values()]
    cover_page = epub.xhtml("EPUB/cover.xhtml")
    (image,) = cover_page.xpath("//xhtml:img", namespaces=NS)
    assert image.get("src") == "_images/cover.svg"
    assert image.get("alt").startswith("Cover of Basic Test Book")
    title_page = epub.xhtml("EPUB/titlepage.xhtml")
    text = " ".join("".join(title_page.itertext()).split())
    for expected in ("Basic Test Book", "Ada Writer, Ben Editor", "1 March 2026"):
        assert expected in text


def test_configured_cover_replaces_the_generated_one(build_root: BuildRoot) -> None:
    app = build_root(
        "ebook", "test-basic", confoverrides={"triptych_epub_cover": "figures/square.svg"}
    )
    book = Epub.open(Path(app.outdir) / "basic-test-book.epub")
    covers = [path for path, _, props in book.manifest.values() if "cover-image" in props.split()]
    source = Path(app.srcdir) / "figures" / "square.svg"
    assert book.archive.read(covers[0]) == source.read_bytes()


def test_root_document_becomes_front_matter(epub: Epub) -> None:
    index = epub.xhtml("EPUB/index.xhtml")
    text = " ".join("".join(index.itertext()).split())
    assert "This book has two chapters and a glossary." in text
    # The title page carries the title and byline; the nav is the contents.
    assert "A small publication on the API" not in text
    assert index.xpath("//xhtml:h1", namespaces=NS)[0].text == "About"
    assert not index.xpath("//*[contains(@class, 'toctree-wrapper')]", namespaces=NS)


def test_links_across_chapters_resolve(epub: Epub) -> None:
    assert epub.check_links().broken == []
    first = epub.xhtml("EPUB/first.xhtml")
    hrefs = first.xpath("//xhtml:a/@href", namespaces=NS)
    assert "glossary.xhtml#term-API" in hrefs
    assert "second.xhtml#second-outlook" in hrefs
    assert first.xpath("//xhtml:link[@rel='stylesheet']/@href", namespaces=NS) == [
        "_static/triptych-epub.css"
    ]
    assert first.xpath("//xhtml:img/@src", namespaces=NS) == ["_images/square.svg"]
    for name in epub.archive.namelist():
        if name.endswith(".xhtml"):
            assert not epub.xhtml(name).xpath("//xhtml:script", namespaces=NS), name


@pytest.mark.parametrize(
    "root", ["test-basic", "test-glossary", "test-parallel", "test-entrypoint"]
)
def test_epubcheck_reports_nothing(build_root: BuildRoot, root: str) -> None:
    app = build_root("ebook", root)
    (path,) = Path(app.outdir).glob("*.epub")
    assert epubcheck_messages(path) == []


def test_epubcheck_after_an_incremental_build(rootdir: Path, tmp_path: Path) -> None:
    out = triptych_build(rootdir / "test-glossary", tmp_path, "-f", "epub")
    article = tmp_path / "src" / "beta.md"
    article.write_text(article.read_text() + "\nA new paragraph on the {term}`Interoperability`.\n")
    build = ["build", str(tmp_path / "src"), "-o", str(out), "-f", "epub", "-W", "-q"]
    assert cli.main(build) == 0
    path = out / "epub" / "glossary-test.epub"
    assert epubcheck_messages(path) == []
    glossary = Epub.open(path).xhtml("EPUB/glossary.xhtml")
    assert "beta.xhtml#term-Interoperability-use-1" in glossary.xpath("//@href")


def test_epubcheck_counts_the_places_it_does_not_name(epub: Epub, tmp_path: Path) -> None:
    # Five links to an id the chapter lacks: epubcheck gives one message with five places.
    chapters = [name for name in epub.archive.namelist() if name.endswith(".xhtml")]
    chapter = next(name for name in chapters if b"<p>" in epub.archive.read(name))
    broken = "".join(f'<p><a href="#nowhere">{number}</a></p>\n' for number in range(5))
    damaged = tmp_path / "damaged.epub"
    with zipfile.ZipFile(damaged, "w") as out:
        for info in epub.archive.infolist():
            content = epub.archive.read(info)
            if info.filename == chapter:
                content = content.replace(b"</body>", broken.encode() + b"</body>")
            out.writestr(info, content)
    (line,) = validators.epubcheck(damaged)
    assert line.startswith("ERROR RSC-012 "), line
    assert line.count(f"{chapter}:") == 3, line
    assert " and 2 more: " in line, line


def test_daisy_ace_passes(epub: Epub) -> None:
    ace = Path(os.environ.get("TRIPTYCH_ACE", ".tools/node_modules/.bin/ace-cli"))
    if not ace.is_file() or validators.chromium() is None:
        reason = f"DAISY Ace ({ace}) or Chromium is not installed; `make test` installs both"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    assert validators.ace(epub.path, ace) == []


def test_archive_layout(epub: Epub) -> None:
    infos = epub.archive.infolist()
    assert infos[0].filename == "mimetype"
    assert infos[0].compress_type == zipfile.ZIP_STORED
    assert epub.archive.read("mimetype") == b"application/epub+zip"
    assert {info.date_time for info in infos} == {(2026, 1, 1, 0, 0, 0)}


def test_reproducible_across_clock_timezone_and_hash_seed(rootdir: Path, tmp_path: Path) -> None:
    outputs = []
    for run, (tz, seed) in enumerate([("UTC", "1"), ("Asia/Tokyo", "4242")]):
        source = tmp_path / f"src{run}"
        shutil.copytree(rootdir / "test-glossary", source)
        env = {**os.environ, "TZ": tz, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1767225600"}
        command = [
            sys.executable,
            "-m",
            "triptych.cli",
            "build",
            str(source),
            "-o",
            str(tmp_path / f"out{run}"),
            "-f",
            "epub",
            "-q",
        ]
        subprocess.run(command, check=True, env=env, capture_output=True, timeout=300)
        outputs.append((tmp_path / f"out{run}" / "epub" / "glossary-test.epub").read_bytes())
    assert outputs[0] == outputs[1]


def test_a_chapter_that_cannot_be_packed_names_its_article(
    rootdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = triptych_build(rootdir / "test-basic", tmp_path, "-f", "epub")
    path = out / "epub" / "basic-test-book.epub"
    before = path.read_bytes()
    original = ebooklib_epub.EpubHtml.get_content

    def failing(self: ebooklib_epub.EpubHtml, default: object = None) -> bytes:
        if self.file_name == "second.xhtml":
            raise ValueError("broken markup")
        return original(self, default)  # type: ignore[no-any-return]

    monkeypatch.setattr(ebooklib_epub.EpubHtml, "get_content", failing)
    build = ["build", str(tmp_path / "src"), "-o", str(out), "-f", "epub", "-q", "--traceback"]
    with pytest.raises(
        EpubWriteError, match=r"second\.md: cannot be packed into the EPUB: ValueError"
    ):
        cli.main(build)
    # The previous edition is untouched, and no partial file is left beside it.
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["basic-test-book.epub"]


def test_formulas_of_every_environment_are_valid_mathml(build_root: BuildRoot) -> None:
    # latex2mathml writes some attribute values MathML does not allow (align* of one column:
    # columnspacing=""; \hspace{nothing}: width="nothing"; \color{orange}): epubcheck rejects
    # the book. Such attributes are dropped; valid ones are kept. An operator of upright
    # letters (\mathop{\mathrm{Var}}) holds its text, not the rows latex2mathml put in it.
    app = build_root("ebook", "test-math-environments")
    assert app.warning.getvalue() == ""
    (path,) = Path(app.outdir).glob("*.epub")
    assert epubcheck_messages(path) == []
    chapter = Epub.open(path).xhtml("EPUB/index.xhtml")
    mathml = {"m": "http://www.w3.org/1998/Math/MathML"}
    assert len(chapter.xpath("//m:math", namespaces=mathml)) == 10
    assert (
        chapter.xpath("//m:mi[*] | //m:mo[*] | //m:mn[*] | //m:mtext[*]", namespaces=mathml) == []
    )
    assert "Var" in chapter.xpath("//m:mo/text()", namespaces=mathml)
    assert chapter.xpath("//m:*[@*[normalize-space() = '']]", namespaces=mathml) == []
    spacings = chapter.xpath("//m:mtable/@columnspacing", namespaces=mathml)
    assert "0em 2em" in spacings and "" not in spacings
    assert chapter.xpath("//m:mtable/@columnlines", namespaces=mathml) == ["none solid"]
    assert chapter.xpath("//m:mstyle/@mathcolor", namespaces=mathml) == ["red"]
