"""The book laid out in parts and stitched: the stitched PDF is the book."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pypdf import PdfReader
from sphinx.testing.util import SphinxTestApp

from conftest import ROOTS
from outputs import pdf_broken_links, pdf_destination_page, pdf_links, pdf_outline
from triptych.builders import pdf as pdf_builder
from triptych.builders.pdf import parts as parts_module
from triptych.builders.pdf import stitch as stitch_module
from triptych.builders.pdf.layout import PrintLayout
from triptych.builders.pdf.stitch import Part, destination_uri, stitch_pdfs
from triptych.checks.pages import audit_page_numbers

SLUG = "parallel"
#: The title page, the imprint and the contents of the test book: no page numbers.
FRONT_PAGES = 3


# --- What a stitched PDF must hold -----------------------------------------------------------


def structure_problems(pdf_bytes: bytes) -> list[str]:
    """What is wrong with the structure tree of a stitched PDF, for PDF/UA readers."""
    problems: list[str] = []
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        root = pdf.Root.get("/StructTreeRoot")
        if root is None:
            return ["no StructTreeRoot"]
        kids = root.K if isinstance(root.K, pikepdf.Array) else [root.K]
        if len(kids) != 1 or kids[0].get("/S") != "/Document":
            problems.append(f"{len(kids)} top elements, not one Document")
        document = kids[0]
        for child in document.get("/K", ()):
            if isinstance(child, pikepdf.Dictionary) and child.get("/P") != document:
                problems.append(f"{child.get('/S')} is not a child of the Document")
        tree = {int(key): value for key, value in pikepdf.NumberTree(root.ParentTree).items()}
        problems.extend(ancestry_problems(tree, document, root))
        if tree and int(root.get("/ParentTreeNextKey", 0)) <= max(tree):
            problems.append("ParentTreeNextKey is not past the last key")
        owners: dict[int, int] = {}
        for number, page in enumerate(pdf.pages, start=1):
            if "/StructParents" not in page.obj:
                if pikepdf.parse_content_stream(page):
                    problems.append(f"page {number} has content and no StructParents")
                continue
            key = int(page.obj.StructParents)
            if key not in tree:
                problems.append(f"page {number}: StructParents {key} not in the ParentTree")
            elif key in owners:
                problems.append(f"page {number} shares its key {key} with page {owners[key]}")
            owners[key] = number
            problems.extend(link_problems(number, page, tree))
    return problems


def ancestry_problems(
    tree: dict[int, Any], document: pikepdf.Object, root: pikepdf.Object
) -> list[str]:
    """Elements of the parent tree whose parents do not lead to *document* and *root*."""
    problems = []
    for key, value in tree.items():
        for element in value if isinstance(value, pikepdf.Array) else [value]:
            current = element
            while isinstance(current, pikepdf.Dictionary) and current.get("/S") != "/Document":
                current = current.get("/P")
            if current is None or current.objgen != document.objgen:
                problems.append(
                    f"parent-tree key {key}: {element.get('/S')} is under another Document"
                )
            elif current.P.objgen != root.objgen:
                problems.append(f"parent-tree key {key}: the Document is under another root")
    return problems


def link_problems(number: int, page: pikepdf.Page, tree: dict[int, Any]) -> list[str]:
    """The links of *page* whose parent-tree entry is not the element that refers to them."""
    problems = []
    for annotation in page.obj.get("/Annots", ()):
        if "/StructParent" not in annotation:
            continue
        element = tree.get(int(annotation.StructParent))
        references = [
            kid.get("/Obj")
            for kid in (element.get("/K", ()) if element is not None else ())
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"
        ]
        if not any(reference == annotation for reference in references):
            problems.append(f"page {number}: a link's StructParent names another element")
    return problems


# --- The stitching, on parts WeasyPrint laid out -----------------------------------------------


def part(body: str, first_page: int) -> tuple[Part, int]:
    from weasyprint import HTML

    html = (
        '<html lang="en"><head><style>@page { @bottom-center { content: counter(page) } }'
        f" @page :first {{ counter-reset: page {first_page} }} h1 {{ break-before: page }}"
        f"</style></head><body>{body}</body></html>"
    )
    document = HTML(string=html).render(pdf_variant="pdf/ua-1")
    levels = [bookmark[0] for page in document.pages for bookmark in page.bookmarks]
    return Part(document.write_pdf(pdf_variant="pdf/ua-1"), outline_levels=levels), len(
        document.pages
    )


@pytest.fixture(scope="module")
def two_parts() -> list[Part]:
    first, pages = part(
        f'<h1 id="a">A</h1><p><a href="{destination_uri("c")}">to C</a></p>'
        f'<p><a href="{destination_uri("nowhere")}">to nothing</a></p><h1 id="b">B</h1>',
        1,
    )
    # The second part starts inside B: its first heading nests under B.
    second, _pages = part(
        f'<h2 id="c">C</h2><p><a href="{destination_uri("a")}">back to A</a></p>'
        '<h1 id="d">D</h1><h2 id="e">E</h2>',
        pages + 1,
    )
    return [first, second]


def test_stitched_links_outline_and_structure(two_parts: list[Part]) -> None:
    stitched = stitch_pdfs(two_parts)
    assert stitched.pages == 4
    assert stitched.unresolved == ("nowhere",)
    reader = PdfReader(io.BytesIO(stitched.pdf))
    assert {name: pdf_destination_page(reader, name) for name in "abcde"} == {
        "a": 1, "b": 2, "c": 3, "d": 4, "e": 4,
    }  # fmt: skip
    assert [(link.page, link.target) for link in pdf_links(reader) if link.target] == [
        (1, "c"),
        (3, "a"),
    ]
    assert [(title, depth, page) for title, depth, page in pdf_outline(reader)] == [
        ("A", 1, 1), ("B", 1, 2), ("C", 2, 3), ("D", 1, 4), ("E", 2, 4),
    ]  # fmt: skip
    assert structure_problems(stitched.pdf) == []
    with pikepdf.open(io.BytesIO(stitched.pdf)) as pdf:
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.MarkInfo.Marked
        assert "/Metadata" in pdf.Root
    # Reproducible: the same parts give the same bytes.
    assert stitch_pdfs(two_parts).pdf == stitched.pdf


def test_blank_pages_before_a_part_move_what_follows(two_parts: list[Part]) -> None:
    first, second = two_parts
    stitched = stitch_pdfs([first, Part(second.pdf, 1, second.outline_levels)])
    reader = PdfReader(io.BytesIO(stitched.pdf))
    assert stitched.pages == 5
    assert reader.pages[2].extract_text().strip() == ""
    assert pdf_destination_page(reader, "c") == 4
    assert structure_problems(stitched.pdf) == []


def test_broken_renumbering_is_caught(
    two_parts: list[Part], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stitch_module, "_renumber_pages", lambda *_args: None)


def test_each_part_is_closed_before_the_next_is_read(
    two_parts: list[Part], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memory a stitching takes is the book's: the parts are read one at a time, and the
    book they make is whole once they are closed."""
    events: list[str] = []
    real_open, real_close = pikepdf.open, pikepdf.Pdf.close

    def opened(*args: Any, **kwargs: Any) -> pikepdf.Pdf:
        events.append("open")
        return real_open(*args, **kwargs)

    def closed(pdf: pikepdf.Pdf) -> None:
        events.append("close")
        real_close(pdf)

    monkeypatch.setattr(stitch_module.pikepdf, "open", opened)
    monkeypatch.setattr(pikepdf.Pdf, "close", closed)
    stitched = stitch_pdfs([*two_parts, two_parts[0]])
    monkeypatch.undo()
    # The stitched book is closed last.
    assert events == ["open", "close"] * 3 + ["close"]
    reader = PdfReader(io.BytesIO(stitched.pdf))
    assert [page.extract_text().split()[:1] for page in reader.pages] == [
        ["A"], ["B"], ["C"], ["D"], ["A"], ["B"],
    ]  # fmt: skip
    assert structure_problems(stitched.pdf) == []


def test_links_to_other_parts_are_pointed_at_named_destinations() -> None:
    html = '<a href="#there">1</a> <a class="x" href="#here">2</a> <a href="#gone">3</a>'
    pointed = parts_module.with_links_across_parts(html, {"here"}, {"here", "there"})
    assert pointed == (
        f'<a href="{destination_uri("there")}">1</a> <a class="x" href="#here">2</a> '
        '<a href="#gone">3</a>'
    )


# --- A book of several parts -------------------------------------------------------------------


def build(
    srcdir: Path, monkeypatch: pytest.MonkeyPatch, parallel: int = 0, **overrides: Any
) -> tuple[SphinxTestApp, list[str]]:
    """Build the PDF of *srcdir*, noting the print HTML of every layout (in this process)."""
    layouts: list[str] = []
    render = PrintLayout.render
    # Each article is far shorter than a page: counted as a page's worth of text, each makes
    # a part of its own (with triptych_pdf_part_pages = 1).
    monkeypatch.setattr(parts_module, "CHARACTERS_PER_PAGE", 1)

    def counted(layout: PrintLayout, html: str) -> Any:
        layouts.append(html)
        return render(layout, html)

    monkeypatch.setattr(PrintLayout, "render", counted)
    app = SphinxTestApp(
        "pdf", srcdir=srcdir, status=StringIO(), warning=StringIO(), parallel=parallel,
        confoverrides={"triptych_article_pdfs": False, **overrides},
    )  # fmt: skip
    try:
        app.build()
    finally:
        app.cleanup()
        monkeypatch.setattr(PrintLayout, "render", render)
    return app, layouts


def page_footers(pdf: Path) -> list[str]:
    """The last line of each page's text: its printed page number, if it has one."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [(page.strip().splitlines() or [""])[-1].strip() for page in text.split("\f")[:-1]]


def check_book(app: SphinxTestApp) -> tuple[Path, PdfReader]:
    pdf = Path(app.outdir) / f"{SLUG}.pdf"
    assert app.warning.getvalue() == ""
    assert audit_page_numbers(pdf).problems == []
    reader = PdfReader(pdf)
    assert pdf_broken_links(reader).broken == []
    # Every page past the title page, imprint and contents prints its own number, but for a
    # blank page before a chapter, which prints nothing.
    footers = page_footers(pdf)
    wrong = [
        (page, footer)
        for page, footer in enumerate(footers, 1)
        if page > FRONT_PAGES and footer and footer != str(page)
    ]
    assert wrong == []
    assert sum(footer.isdigit() for footer in footers[FRONT_PAGES:]) >= 10
    assert structure_problems(pdf.read_bytes()) == []
    return pdf, reader


def parts_of(app: SphinxTestApp) -> dict[str, Any]:
    saved = json.loads((Path(app.doctreedir) / "triptych-pdf" / "parts.json").read_text())
    assert isinstance(saved, dict)
    return saved


@pytest.fixture(scope="module")
def one_part(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The same book laid out as one chapter part: what the parts must add up to."""
    srcdir = tmp_path_factory.mktemp("one") / "book"
    shutil.copytree(ROOTS / "test-parallel", srcdir)
    with pytest.MonkeyPatch.context() as monkeypatch:
        app, _layouts = build(srcdir, monkeypatch, triptych_pdf_part_pages=1_000_000)
    assert len(parts_of(app)) == 3  # front, the chapters, back
    pdf = Path(app.outdir) / f"{SLUG}.pdf"
    return pdf, page_footers(pdf)


def test_a_book_in_parts_is_the_book(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_part: tuple[Path, list[str]]
) -> None:
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-parallel", srcdir)
    app, _layouts = build(srcdir, monkeypatch, parallel=2, triptych_pdf_part_pages=1)
    parts = parts_of(app)
    assert len(parts) >= 6
    _pdf, reader = check_book(app)
    whole = PdfReader(one_part[0])
    assert pdf_outline(reader) == pdf_outline(whole)
    assert len(reader.pages) == len(whole.pages)
    assert [page.extract_text() for page in reader.pages] == [
        page.extract_text() for page in whole.pages
    ]
    # Links from one part to another: the contents, references between articles.
    starts = sorted(part["first_page"] for part in parts.values())

    def part_of(page: int) -> int:
        return max(index for index, first in enumerate(starts) if first <= page)

    across = [
        link
        for link in pdf_links(reader)
        if link.target and part_of(link.page) != part_of(pdf_destination_page(reader, link.target))
    ]
    assert len(across) >= 10


def test_chapters_on_right_hand_pages_across_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-parallel", srcdir)
    app, _layouts = build(
        srcdir, monkeypatch, triptych_pdf_part_pages=1, triptych_chapter_start="right"
    )
    _pdf, reader = check_book(app)
    chapters = [page for _title, depth, page in pdf_outline(reader) if depth == 1]
    assert len(chapters) >= 8
    assert all(page % 2 == 1 for page in chapters), chapters
    # Some part needed a blank page before it.
    assert any(page - 1 not in {first for first in chapters} for page in chapters[1:])


def test_a_rebuild_lays_out_only_the_parts_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-parallel", srcdir)
    app, layouts = build(srcdir, monkeypatch, triptych_pdf_part_pages=1)
    parts = len(parts_of(app))
    assert len(layouts) >= parts
    book = (Path(app.outdir) / f"{SLUG}.pdf").read_bytes()

    app, layouts = build(srcdir, monkeypatch, triptych_pdf_part_pages=1)
    assert layouts == []
    assert (Path(app.outdir) / f"{SLUG}.pdf").read_bytes() == book

    # A word changed in one article: its part is laid out again, the others are taken.
    article = srcdir / "part-5.md"
    text = article.read_text()
    assert " the " in text
    article.write_text(text.replace(" the ", " THE ", 1))
    app, layouts = build(srcdir, monkeypatch, triptych_pdf_part_pages=1)
    assert layouts
    assert all(" THE " in html for html in layouts)
    assert len(layouts) < parts
    _pdf, reader = check_book(app)
    assert any(" THE " in page.extract_text() for page in reader.pages)


def test_a_link_to_no_anchor_in_the_book_is_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triptych.builders.pdf import PdfBuilder
    from triptych.diagnostics import PdfRenderError

    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-parallel", srcdir)
    original = PdfBuilder.print_page

    def with_lost_links(builder: PdfBuilder, *args: Any, **kwargs: Any) -> str:
        html = original(builder, *args, **kwargs)
        # In every part, a link to nothing; the front matter holds an anchor WeasyPrint lays
        # out nowhere (not displayed), which the index links to from another part.
        front = 'class="triptych-contents"' in html
        extra = '<span id="never-shown" style="display: none">x</span>' if front else ""
        if "triptych-index" in html and not front:
            extra = '<p><a href="#never-shown">hidden</a></p>'
        return html.replace("</body>", f'<p><a href="#nowhere-at-all">lost</a></p>{extra}</body>')

    monkeypatch.setattr(PdfBuilder, "print_page", with_lost_links)
    with pytest.raises(PdfRenderError) as raised:
        build(srcdir, monkeypatch, triptych_pdf_part_pages=1)
    message = str(raised.value)
    assert message.count("No anchor #nowhere-at-all") == 1
    assert message.count("No anchor #never-shown") == 1
    assert not (srcdir / "_build" / "pdf" / f"{SLUG}.pdf").exists()


def test_article_pdfs_cut_in_processes_are_those_cut_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles, books = {}, {}
    for parallel in (0, 2):
        srcdir = tmp_path / f"book-{parallel}"
        shutil.copytree(ROOTS / "test-parallel", srcdir)
        app, _layouts = build(srcdir, monkeypatch, parallel=parallel, triptych_article_pdfs=True)
        assert app.warning.getvalue() == ""
        folder = Path(app.outdir) / "articles"
        articles[parallel] = {path.name: path.read_bytes() for path in folder.glob("*.pdf")}
        books[parallel] = (Path(app.outdir) / f"{SLUG}.pdf").read_bytes()
    assert len(articles[0]) >= pdf_builder.MIN_PARALLEL_OFFPRINTS
    assert articles[2] == articles[0]
    # The book too: its parts printed the same numbers, however the processes ran.
    assert books[2] == books[0]
    for name, pdf in articles[2].items():
        reader = PdfReader(io.BytesIO(pdf))
        assert reader.pages[0].extract_text().strip(), name  # the cover


def test_each_part_is_written_as_its_elements_alone_would_be(tmp_path: Path) -> None:
    """The parts' print HTML is cut from the book's, element by element: it must be what
    writing each part's elements on their own gives (every construct, in parts of a page)."""
    from triptych.builders.pdf.assembly import book_body

    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-kitchen-sink", srcdir)
    app = SphinxTestApp(
        "pdf", srcdir=srcdir, status=StringIO(), warning=StringIO(),
        confoverrides={"triptych_article_pdfs": False, "triptych_pdf_part_pages": 1},
    )  # fmt: skip
    try:
        app.build()
        builder: Any = app.builder
        parts, pages, _ids = builder.rendered_part_pages()
        assert len(parts) >= 3
        held = sorted(number for part in parts for number in part.positions)
        for part, page in zip(parts, pages, strict=True):
            fresh = [
                *book_body(builder.env, [c.deepcopy() for c in builder.chapters], builder.order),
                *(matter.deepcopy() for matter in builder.back_matter),
            ]
            assert held == list(range(len(fresh)))
            alone = builder.written_elements([fresh[number] for number in part.positions])
            assert page == builder.print_page("".join(alone), builder.order, front=part.front)
    finally:
        app.cleanup()


def test_an_edit_cuts_again_only_the_article_pdfs_of_the_part_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Article PDFs kept from the last build are those a cold build cuts, byte for byte; only
    the edited article's is cut again (each article here is a part of its own)."""
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-parallel", srcdir)
    app, _layouts = build(srcdir, monkeypatch, parallel=2, triptych_article_pdfs=True)
    assert app.warning.getvalue() == ""
    edited = srcdir / "part-3.md"
    edited.write_text(edited.read_text().replace("Footnote of part 3.", "A note on part three."))

    cut: list[str] = []
    real_offprint = pdf_builder.offprint

    def counted(pieces: Any, title: str, first_label: int) -> bytes:
        cut.append(title)
        return real_offprint(pieces, title, first_label)

    monkeypatch.setattr(pdf_builder, "offprint", counted)
    app, _layouts = build(srcdir, monkeypatch, triptych_article_pdfs=True)
    monkeypatch.setattr(pdf_builder, "offprint", real_offprint)
    assert app.warning.getvalue() == ""
    assert [title.split(" · ")[0] for title in cut] == ["Part 3"]
    kept = {path.name: path.read_bytes() for path in (Path(app.outdir) / "articles").glob("*.pdf")}
    assert b"part three" not in kept["part-2.pdf"]

    cold = tmp_path / "cold"
    shutil.copytree(srcdir, cold, ignore=shutil.ignore_patterns("_build"))
    app, _layouts = build(cold, monkeypatch, triptych_article_pdfs=True)
    fresh = {path.name: path.read_bytes() for path in (Path(app.outdir) / "articles").glob("*.pdf")}
    assert len(fresh) >= 9
    assert kept == fresh


def test_each_edit_lays_out_only_the_part_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parts taken from the last build are kept for the next: a second edit, like the
    first, lays out the one part it changed."""
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-parallel", srcdir)
    _app, layouts = build(srcdir, monkeypatch)
    assert len(layouts) > 2
    for article, old, new in (
        ("part-3.md", "Footnote of part 3.", "A note on part three."),
        ("part-5.md", "Footnote of part 5.", "A note on part five."),
    ):
        path = srcdir / article
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new))
        app, layouts = build(srcdir, monkeypatch)
        assert app.warning.getvalue() == ""
        assert len(layouts) == 1, article
        assert new in layouts[0]


def test_an_elements_key_follows_what_it_holds_and_nothing_else() -> None:
    """Equal elements have one key, whichever string objects they hold and wherever they
    stand; a change deep inside, or to a target an attribute names, gives another."""
    from docutils import nodes

    from triptych.builders.pdf.fragments import element_key

    def chapter(words: str, label: str = "term", one_string: bool = False) -> nodes.container:
        # The label's uses as one string object, or as as many equal strings as uses.
        name = (lambda: label) if one_string else (lambda: "".join(label))
        target = nodes.target(ids=[name()])
        section = nodes.section(ids=["section"])
        section += nodes.title("", "Title")
        section += nodes.paragraph("", "", nodes.Text(words), nodes.emphasis("", name()))
        section.expect_referenced_by_id = {name(): target}
        return nodes.container("", target, section, classes=["triptych-chapter"])

    first = chapter("Some words.")
    key = element_key(first, "context")
    assert key is not None
    second = chapter("Some words.", one_string=True)
    nodes.container("", second)  # standing inside another element
    assert element_key(second, "context") == key
    assert element_key(first, "another context") != key
    assert element_key(chapter("Some other words."), "context") != key
    assert element_key(chapter("Some words.", label="other"), "context") != key
    changed = chapter("Some words.")
    changed[1][1]["classes"].append("triptych-pageref")
    assert element_key(changed, "context") != key


def test_an_edit_writes_the_print_html_of_the_chapters_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The print HTML kept of unchanged chapters is what a cold build writes of them; an edit
    writes again the edited chapter, and those that show what it changed (the glossary's
    uses, the index), not the others."""
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-parallel", srcdir)
    build(srcdir, monkeypatch)
    edited = srcdir / "part-3.md"
    edited.write_text(edited.read_text().replace("Footnote of part 3.", "A note on part three."))

    written: list[str] = []
    real = pdf_builder.PdfBuilder.written_elements

    def noted(builder: Any, elements: list[Any]) -> list[str]:
        written.extend(
            next(iter(element.findall(lambda node: "triptych-chapter" in node.get("classes", ()))))[
                "ids"
            ][0]
            for element in elements
        )
        return real(builder, elements)

    monkeypatch.setattr(pdf_builder.PdfBuilder, "written_elements", noted)
    app, _layouts = build(srcdir, monkeypatch)
    monkeypatch.setattr(pdf_builder.PdfBuilder, "written_elements", real)
    assert app.warning.getvalue() == ""
    assert "document-part-3" in written
    assert not {f"document-part-{number}" for number in (1, 2, 4, 5, 6, 7, 8)} & set(written)
    print_html = Path(app.doctreedir) / "triptych-pdf" / f"{SLUG}.html"
    kept = print_html.read_text(encoding="utf-8")
    assert "part three" in kept

    cold = tmp_path / "cold"
    shutil.copytree(srcdir, cold, ignore=shutil.ignore_patterns("_build"))
    app, _layouts = build(cold, monkeypatch)
    assert (Path(app.doctreedir) / "triptych-pdf" / f"{SLUG}.html").read_text() == kept


def test_a_book_stitched_in_a_process_of_its_own_is_the_same_book(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same book, and the same article PDFs, cut in forked processes while the book is
    stitched in a spawned one."""
    books = {}
    articles = {}
    for apart in (False, True):
        calls: list[int] = []
        real = pdf_builder.stitched_apart

        def counted(
            parts: list[Part], meanwhile: Any, real: Any = real, calls: list[int] = calls
        ) -> Any:
            calls.append(len(parts))
            return real(parts, meanwhile)

        monkeypatch.setattr(pdf_builder, "stitched_apart", counted)
        monkeypatch.setattr(pdf_builder, "MIN_STITCHED_APART_PAGES", 1 if apart else 10**6)
        srcdir = tmp_path / f"book-{apart}"
        shutil.copytree(ROOTS / "test-parallel", srcdir)
        app, _layouts = build(srcdir, monkeypatch, parallel=2, triptych_article_pdfs=True)
        assert app.warning.getvalue() == ""
        assert len(calls) == (1 if apart else 0)
        books[apart] = (Path(app.outdir) / f"{SLUG}.pdf").read_bytes()
        folder = Path(app.outdir) / "articles"
        articles[apart] = {path.name: path.read_bytes() for path in folder.glob("*.pdf")}
    assert books[True] == books[False]
    assert len(articles[True]) >= pdf_builder.MIN_PARALLEL_OFFPRINTS
    assert articles[True] == articles[False]


@pytest.mark.parametrize(
    ("root", "edit", "assembled_again"),
    [
        # A title other chapters print, and the root's contents show.
        ("test-kitchen-sink", ("tables.md", "# Tables and figures", "# Tables and a figure"),
         {"tables", "blocks", "index"}),
        # A term used once more: the glossary lists the use.
        ("test-apparatus", ("tides.md", "Paragraph 3. Older", "Paragraph 3. A {term}`flood`. Older"),
         {"tides", "glossary"}),
    ],
)  # fmt: skip
def test_an_edit_assembles_again_only_the_chapters_it_changed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    root: str,
    edit: tuple[str, str, str],
    assembled_again: set[str],
) -> None:
    """Chapters kept from the last build make the print HTML a cold build of the edited
    source makes; the chapters the edit changed, and only those, are assembled again."""
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / root, srcdir)
    assembled: list[str] = []
    real = pdf_builder.PdfBuilder.assemble_chapter

    def counted(builder: Any, docname: str) -> Any:
        assembled.append(docname)
        return real(builder, docname)

    monkeypatch.setattr(pdf_builder.PdfBuilder, "assemble_chapter", counted)

    def built(srcdir: Path) -> str:
        assembled.clear()
        app = SphinxTestApp("pdf", srcdir=srcdir, status=StringIO(), warning=StringIO())
        try:
            app.build()
        finally:
            app.cleanup()
        assert app.warning.getvalue() == ""
        builder: Any = app.builder
        return str(builder.numbered_print_html())

    first = built(srcdir)
    assert len(assembled) > len(assembled_again)
    article, old, new = edit
    path = srcdir / article
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    edited = built(srcdir)
    assert set(assembled) == assembled_again
    assert edited != first
    cold = tmp_path / "cold"
    shutil.copytree(srcdir, cold, ignore=shutil.ignore_patterns("_build"))
    assert built(cold) == edited


def test_a_first_book_lays_out_each_part_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first book prints guessed page numbers; each part's are written over with the true
    ones (numerals.py), and it is not laid out again. The back matter is, its page lists
    shortened once the pages are known; here one part is too, its font subset lacking a
    figure of its new numbers."""
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-parallel", srcdir)
    written: list[bytes] = []
    real_write = PrintLayout.write

    def counted(layout: PrintLayout, document: Any) -> bytes:
        pdf = real_write(layout, document)
        written.append(pdf)
        return pdf

    monkeypatch.setattr(PrintLayout, "write", counted)
    app, layouts = build(srcdir, monkeypatch, triptych_pdf_part_pages=1)
    parts = len(parts_of(app))
    assert parts > 2
    assert len(written) == len(layouts) <= parts + 2
    check_book(app)


def test_an_edit_that_moves_the_pages_after_it_renumbers_their_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two more pages in one article move every page after it: the parts after it print
    new numbers (their footers, their references), written over in their PDFs, and only
    the edited part, and the back matter whose page lists changed, are laid out again."""
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-parallel", srcdir)
    # A first article long enough that the pages after it have two figures, and keep them.
    opening = " ".join(["The first part runs over many pages before the others begin."] * 12)
    first = srcdir / "part-1.md"
    first.write_text(first.read_text() + "".join(f"\n{opening}\n" for _ in range(60)))
    app, _layouts = build(srcdir, monkeypatch, triptych_pdf_part_pages=1)
    parts = len(parts_of(app))
    before = len(PdfReader(Path(app.outdir) / f"{SLUG}.pdf").pages)
    added = " ".join(["A longer second part fills more of its pages with these words."] * 12)
    article = srcdir / "part-2.md"
    article.write_text(article.read_text() + "".join(f"\n{added}\n" for _ in range(14)))
    app, layouts = build(srcdir, monkeypatch, triptych_pdf_part_pages=1)
    _pdf, reader = check_book(app)
    assert len(reader.pages) >= before + 2
    assert layouts
    assert len(layouts) < parts / 2
    laid_out_again = [
        html for html in layouts if added not in html and "triptych-index" not in html
    ]
    assert laid_out_again == []
