"""Article PDFs are offprints: the book's own pages of one article, after a cover page."""

from __future__ import annotations

import re
import shutil
import subprocess
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pikepdf
import pytest
from lxml import html
from pypdf import PdfReader
from sphinx.testing.util import SphinxTestApp

import triptych.builders.pdf as pdf_builder
from outputs import pdf_links, pdf_outline, pdf_page_texts

if TYPE_CHECKING:
    from conftest import BuildRoot

BOOK = "basic-test-book.pdf"
ARTICLES = ("first", "second", "glossary")
SITE = "https://example.org/book"


@pytest.fixture(scope="module")
def built(build_root: BuildRoot) -> SphinxTestApp:
    return build_root("pdf", "test-basic")


@pytest.fixture(scope="module")
def with_site(build_root: BuildRoot) -> SphinxTestApp:
    return build_root("pdf", "test-basic", confoverrides={"html_baseurl": f"{SITE}/"})


def chapter_pages(book: PdfReader, docname: str, other_starts: tuple[int, ...] = ()) -> range:
    """Where the book prints *docname* (pages from 1): from its first page to the page before
    the next chapter, the index or one of *other_starts* begins."""
    starts = [
        book.get_destination_page_number(destination) + 1
        for name, destination in book.named_destinations.items()
        if (name.startswith("document-") and "--" not in name) or name == "triptych-index"
    ]
    first = book.get_destination_page_number(book.named_destinations[f"document-{docname}"]) + 1
    later = [page for page in [*starts, *other_starts] if page > first]
    return range(first, min(later) if later else len(book.pages) + 1)


def offprint_problems(outdir: Path, docname: str, other_starts: tuple[int, ...] = ()) -> list[str]:
    """How the offprint of *docname* differs from the book's pages of it (none, if it is right)."""
    book_texts = pdf_page_texts(outdir / BOOK)
    offprint = outdir / "articles" / f"{docname}.pdf"
    texts = pdf_page_texts(offprint)
    pages = chapter_pages(PdfReader(outdir / BOOK), docname, other_starts)
    problems = []
    if len(texts) != len(pages) + 1:
        problems.append(f"{len(texts)} pages, for a cover and {len(pages)} of the book")
    for index, page in enumerate(pages, start=1):
        if index >= len(texts) or texts[index] != book_texts[page - 1]:
            problems.append(f"page {index + 1} is not the book's page {page}")
    span = f"pp. {pages.start}\u2013{pages[-1]}" if len(pages) > 1 else f"p. {pages.start}"
    if span not in texts[0]:
        problems.append(f"the cover does not say {span}")
    return problems


def test_an_offprint_is_the_books_pages_of_its_article(built: SphinxTestApp) -> None:
    outdir = Path(built.outdir)
    assert built.warning.getvalue() == ""
    assert sorted(path.stem for path in (outdir / "articles").iterdir()) == sorted(ARTICLES)
    for docname in ARTICLES:
        assert offprint_problems(outdir, docname) == [], docname
    # The book's page numbers, in the footers.
    second = pdf_page_texts(outdir / "articles" / "second.pdf")
    pages = chapter_pages(PdfReader(outdir / BOOK), "second")
    assert second[1].split()[-1] == str(pages.start)
    # Page labels: a viewer shows the same numbers.
    reader = PdfReader(outdir / "articles" / "second.pdf")
    assert reader.page_labels == ["Cover", *map(str, pages)]


def test_an_off_by_one_page_range_is_caught(
    build_root: BuildRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    article_pages = pdf_builder.article_pages

    def one_page_late(*args: Any) -> range:
        pages = article_pages(*args)
        return range(pages.start + 1, pages.stop + 1)

    monkeypatch.setattr(pdf_builder, "article_pages", one_page_late)
    app = build_root("pdf", "test-basic")
    problems = offprint_problems(Path(app.outdir), "first")
    assert any("is not the book's page" in problem for problem in problems), problems
    assert any("the cover does not say" in problem for problem in problems), problems


def test_the_cover_names_the_article_its_pages_and_how_to_cite_it(
    built: SphinxTestApp, with_site: SphinxTestApp
) -> None:
    outdir = Path(built.outdir)
    pages = chapter_pages(PdfReader(outdir / BOOK), "second")
    cover = " ".join(pdf_page_texts(outdir / "articles" / "second.pdf")[0].split())
    span = f"pp. {pages.start}\u2013{pages[-1]}" if len(pages) > 1 else f"p. {pages.start}"
    assert cover.startswith("Basic Test Book: A small publication for triptych's tests")
    assert "Second chapter Ada Writer, Ben Editor" in cover
    assert f"Offprint from Basic Test Book, {span}" in cover
    assert (
        f"Suggested citation Ada Writer, Ben Editor. \u201cSecond chapter.\u201d In Basic Test "
        f"Book, {span}. Test Press, 1 March 2026." in cover
    )
    assert "© 2026, Ada Writer" in cover
    assert "example.org" not in cover
    # With the site's address: the article's page, and the site.
    site_cover = " ".join(
        pdf_page_texts(Path(with_site.outdir) / "articles" / "second.pdf")[0].split()
    )
    # A line may break in an address.
    assert f"1March2026.{SITE}/second.html" in "".join(site_cover.split())
    assert f"Read the whole publication at {SITE}/" in site_cover
    # A link broken over two lines has a rectangle on each.
    cover_links = dict.fromkeys(
        link.uri
        for link in pdf_links(PdfReader(Path(with_site.outdir) / "articles" / "second.pdf"))
        if link.page == 1
    )
    assert list(cover_links) == [f"{SITE}/second.html", f"{SITE}/"]


def link_problems(path: Path, site: str | None) -> list[str]:
    """Links of an offprint that land nowhere in it and go nowhere on the site."""
    reader = PdfReader(path)
    named = reader.named_destinations
    problems = []
    for link in pdf_links(reader):
        if link.uri is not None:
            if site is None or not link.uri.startswith(f"{site}/"):
                problems.append(f"page {link.page}: {link.uri}")
        elif link.target not in named:
            problems.append(f"page {link.page}: no destination {link.target!r}")
        elif reader.get_destination_page_number(named[link.target]) is None:
            problems.append(f"page {link.page}: {link.target!r} leads off the document")
    return problems


def test_every_link_lands_in_the_offprint_or_on_the_site(
    built: SphinxTestApp, with_site: SphinxTestApp, build_root: BuildRoot
) -> None:
    for docname in ARTICLES:
        assert link_problems(Path(built.outdir) / "articles" / f"{docname}.pdf", None) == []
        assert link_problems(Path(with_site.outdir) / "articles" / f"{docname}.pdf", SITE) == []
    # Named destinations: those of the kept pages only, every one leading to a page of it.
    reader = PdfReader(Path(built.outdir) / "articles" / "second.pdf")
    book = PdfReader(Path(built.outdir) / BOOK)
    pages = chapter_pages(book, "second")
    in_book = {
        name
        for name, destination in book.named_destinations.items()
        if book.get_destination_page_number(destination) + 1 in pages
    }
    assert set(reader.named_destinations) == in_book
    assert {"document-second", "second--second-outlook"} <= in_book
    # Without the site, a link to another article's page is gone and its text stays.
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert re.search(
        r"Back to Outlook \(p\. \d+\), to the first chapter \(p\. \d+\) and to Table 1\.", text
    )
    assert not any(link.uri for link in pdf_links(reader))
    # With it, each such link goes to an element of the site that exists.
    site = build_root("html", "test-basic", confoverrides={"html_baseurl": f"{SITE}/"})
    uris = {
        link.uri
        for docname in ARTICLES
        for link in pdf_links(PdfReader(Path(with_site.outdir) / "articles" / f"{docname}.pdf"))
        if link.uri and link.page > 1
    }
    assert {f"{SITE}/first.html#first-outlook", f"{SITE}/first.html"} <= uris
    for uri in uris:
        page, _, fragment = uri.removeprefix(f"{SITE}/").partition("#")
        tree = html.parse(str(Path(site.outdir) / page))
        assert not fragment or tree.xpath("//*[@id=$id]", id=fragment), uri


def structure_kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def structure_elements(element: pikepdf.Object) -> list[pikepdf.Object]:
    """The structure elements below *element*, depth first."""
    found = []
    for kid in structure_kids(element):
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            found += [kid, *structure_elements(kid)]
    return found


def structure_problems(path: Path) -> list[str]:
    """What is wrong with an offprint's structure tree, read with pikepdf."""
    problems = []
    with pikepdf.open(path) as pdf:
        pages = {page.obj.objgen for page in pdf.pages}
        root = pdf.Root.StructTreeRoot
        entries = dict(pikepdf.NumberTree(root.ParentTree).items())
        reached: set[tuple[int, int]] = set()

        def walk(element: pikepdf.Object) -> None:
            if element.is_indirect:
                if element.objgen in reached:
                    problems.append(f"element {element.objgen} reached twice")
                reached.add(element.objgen)
            for kid in [element, *structure_kids(element)]:
                on_page = isinstance(kid, pikepdf.Dictionary) and "/Pg" in kid
                if on_page and kid.Pg.objgen not in pages:
                    problems.append(f"{kid.get('/S', kid.get('/Type'))} on a page left out")
            for kid in structure_kids(element):
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    walk(kid)

        for top in structure_kids(root):
            walk(top)
        for number, page in enumerate(pdf.pages, start=1):
            if "/StructParents" not in page.obj:
                continue
            key = int(page.obj.StructParents)
            if key not in entries:
                problems.append(f"page {number}: its /StructParents has no entry")
                continue
            for element in entries[key]:
                if element.Pg.objgen not in pages:
                    problems.append(f"page {number}: content of an element of another page")
                if not leads_to(element, root):
                    problems.append(f"page {number}: content of an element of no tree")
            for annotation in page.obj.get("/Annots", ()):
                key = annotation.get("/StructParent")
                if key is None or int(key) not in entries:
                    problems.append(f"page {number}: an annotation without its element")
                elif entries[int(key)].objgen not in reached:
                    problems.append(f"page {number}: an annotation's element outside the tree")
        roots = [
            o
            for o in pdf.objects
            if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/StructTreeRoot"
        ]
        documents = [
            o
            for o in pdf.objects
            if isinstance(o, pikepdf.Dictionary) and o.get("/S") == "/Document"
        ]
        if (len(roots), len(documents)) != (1, 1):
            problems.append(f"{len(roots)} structure tree roots, {len(documents)} documents")
    return problems


def leads_to(element: pikepdf.Object, root: pikepdf.Object) -> bool:
    """Whether *element*'s parents lead up to *root*."""
    for _depth in range(100):
        if element.objgen == root.objgen:
            return True
        if "/P" not in element:
            return False
        element = element.P
    return False


def test_the_structure_tree_is_the_articles(built: SphinxTestApp) -> None:
    for docname in ARTICLES:
        path = Path(built.outdir) / "articles" / f"{docname}.pdf"
        assert structure_problems(path) == [], docname
    path = Path(built.outdir) / "articles" / "second.pdf"
    with pikepdf.open(path) as pdf:
        assert pdf.Root.Lang == "en"
        assert pdf.Root.MarkInfo.Marked
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        metadata = pdf.open_metadata()
        assert metadata["dc:title"] == "Second chapter · Basic Test Book"
        assert metadata["pdfuaid:part"] == "1"
        elements = structure_elements(pdf.Root.StructTreeRoot)
        # The cover's title and the article's: no other article's heading.
        assert [element.S for element in elements].count("/H1") == 2
        assert any(element.get("/S") == "/Table" for element in elements)
    reader = PdfReader(path)
    assert reader.metadata is not None
    assert reader.metadata.title == "Second chapter · Basic Test Book"
    assert "Table 1" in reader.pages[1].extract_text()
    # The text of the book's other chapters is not there.
    assert "This book has two chapters" not in " ".join(p.extract_text() for p in reader.pages)


def test_a_dropped_page_in_the_structure_tree_is_caught(
    built: SphinxTestApp, tmp_path: Path
) -> None:
    """The structure audit above finds an element left on a page the offprint does not have."""
    with pikepdf.open(Path(built.outdir) / "articles" / "second.pdf") as pdf:
        element = structure_elements(pdf.Root.StructTreeRoot)[-1]
        element.Pg = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Page))
        pdf.save(tmp_path / "faulty.pdf")
    assert structure_problems(tmp_path / "faulty.pdf") != []


def test_the_outline_is_the_chapters_bookmarks(built: SphinxTestApp) -> None:
    book = PdfReader(Path(built.outdir) / BOOK)
    for docname in ARTICLES:
        pages = chapter_pages(book, docname)
        outline = pdf_outline(PdfReader(Path(built.outdir) / "articles" / f"{docname}.pdf"))
        expected = [
            (title, depth, page - pages.start + 2)
            for title, depth, page in pdf_outline(book)
            if page in pages
        ]
        assert outline == expected, docname
        assert outline


def test_offprints_are_reproducible(built: SphinxTestApp, build_root: BuildRoot) -> None:
    again = build_root("pdf", "test-basic")
    for docname in ARTICLES:
        first = (Path(built.outdir) / "articles" / f"{docname}.pdf").read_bytes()
        assert (Path(again.outdir) / "articles" / f"{docname}.pdf").read_bytes() == first


def test_a_part_title_page_stays_out_of_the_article_before_it(
    rootdir: Path, tmp_path: Path
) -> None:
    index = (rootdir / "test-basic" / "index.md").read_text()
    parted = index.replace(
        "first\nsecond\nglossary\n```",
        "first\n```\n\n```{toctree}\n:caption: Later chapters\n\nsecond\nglossary\n```",
    )
    assert parted != index
    root = tmp_path / "test-parts"
    shutil.copytree(rootdir / "test-basic", root)
    (root / "index.md").write_text(parted)
    app = SphinxTestApp("pdf", srcdir=root, status=StringIO(), warning=StringIO())
    try:
        app.build()
    finally:
        app.cleanup()
    assert app.warning.getvalue() == ""
    outdir = Path(app.outdir)
    book = pdf_page_texts(outdir / BOOK)
    # The part's page prints its title alone.
    part_page = next(i for i, text in enumerate(book, start=1) if text.strip() == "Later chapters")
    reader = PdfReader(outdir / BOOK)
    assert chapter_pages(reader, "first").stop == part_page + 1
    assert chapter_pages(reader, "second").start == part_page + 1
    texts = pdf_page_texts(outdir / "articles" / "first.pdf")
    assert not any("Later chapters" in text for text in texts)
    for docname in ARTICLES:
        assert offprint_problems(outdir, docname, other_starts=(part_page,)) == [], docname


def test_an_untagged_book_gives_untagged_offprints(build_root: BuildRoot) -> None:
    app = build_root("pdf", "test-basic", confoverrides={"triptych_pdf_variant": ""})
    outdir = Path(app.outdir)
    assert app.warning.getvalue() == ""
    for docname in ARTICLES:
        assert offprint_problems(outdir, docname) == [], docname
        assert link_problems(outdir / "articles" / f"{docname}.pdf", None) == []
        with pikepdf.open(outdir / "articles" / f"{docname}.pdf") as pdf:
            assert "/StructTreeRoot" not in pdf.Root


def test_an_offprint_holds_the_images_its_pages_draw(rootdir: Path, tmp_path: Path) -> None:
    """The pages of a part share one resource dictionary naming all its images: an offprint
    keeps what its own pages draw, as poppler lists it, and no more."""
    from PIL import Image

    root = tmp_path / "test-images"
    shutil.copytree(rootdir / "test-basic", root)
    Image.new("RGB", (300, 200), (180, 40, 40)).save(root / "figures" / "photo.png")
    second = root / "second.md"
    second.write_text(
        second.read_text()
        + "\n```{figure} figures/photo.png\n:alt: A red field\n\nA photograph.\n```\n"
    )
    app = SphinxTestApp("pdf", srcdir=root, status=StringIO(), warning=StringIO())
    try:
        app.build()
    finally:
        app.cleanup()
    drawn_by_article = {}
    for offprint in sorted((Path(app.outdir) / "articles").glob("*.pdf")):
        listed = subprocess.run(
            ["pdfimages", "-list", str(offprint)], check=True, capture_output=True, text=True
        ).stdout.splitlines()[2:]
        drawn = {int(row.split()[10]) for row in listed}
        with pikepdf.open(offprint) as pdf:
            held = {
                obj.objgen[0]
                for obj in pdf.objects
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"
            }
        assert held == drawn, offprint.name
        drawn_by_article[offprint.stem] = len(drawn)
    assert drawn_by_article == {"first": 0, "second": 1, "glossary": 0}
