"""The scholarly apparatus in the three built editions: notes, citations, the index, the imprint."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from lxml import html
from pypdf import PdfReader

from outputs import (
    NS,
    Epub,
    epubcheck_messages,
    pdf_destination_page,
    pdf_links,
    pdf_outline,
    pdf_page_texts,
    site_contents,
    triptych_build,
)
from triptych.apparatus.imprint import CalendarDate, parse_date
from triptych.builders.pdf.layout import PrintLayout, separated_footnotes
from triptych.checks.pages import audit_page_numbers

if TYPE_CHECKING:
    from sphinx.testing.util import SphinxTestApp

    from conftest import BuildRoot

ROOT = Path(__file__).parent / "roots" / "test-apparatus"
SLUG = "tides-and-currents"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
#: What the index prints between the first and last page of a range.
DASH = "\N{EN DASH}"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return triptych_build(ROOT, tmp_path_factory.mktemp("apparatus"))


@pytest.fixture(scope="module")
def pdf(out: Path) -> PdfReader:
    return PdfReader(out / "pdf" / f"{SLUG}.pdf")


@pytest.fixture(scope="module")
def pages(out: Path) -> list[str]:
    return pdf_page_texts(out / "pdf" / f"{SLUG}.pdf")


@pytest.fixture(scope="module")
def print_html(out: Path) -> html.HtmlElement:
    return html.parse(str(out / "doctrees" / "triptych-pdf" / f"{SLUG}.html")).getroot()


@pytest.fixture(scope="module")
def epub(out: Path) -> Epub:
    return Epub.open(out / "epub" / f"{SLUG}.epub")


def pages_with(pages: list[str], text: str) -> list[int]:
    """The pages (from 1) whose text holds *text*, across line breaks."""
    return [number for number, page in enumerate(pages, 1) if text in " ".join(page.split())]


# --- Footnotes -----------------------------------------------------------------------------


def footnote_pairs(print_html: html.HtmlElement) -> list[tuple[str, str, str]]:
    """(call id, note id, note text) for each footnote of the print HTML."""
    return [
        (call.get("id"), note.get("id"), " ".join(note.text_content().split()))
        for note in print_html.xpath("//span[@class='triptych-footnote']")
        for call in note.xpath("preceding-sibling::span[1][@class='triptych-footnote-call']")
    ]


def test_footnotes_stand_at_the_foot_of_the_page_that_calls_them(
    print_html: html.HtmlElement, pdf: PdfReader, pages: list[str], out: Path
) -> None:
    pairs = footnote_pairs(print_html)
    assert len(pairs) == 11  # ten in "Tides", one in "Currents"
    for call, _note, text in pairs:
        call_page = pdf_destination_page(pdf, call)
        assert pages_with(pages, text[:40]) == [call_page], text
        # At the foot: below the last line of the page's text.
        lines = [line.strip() for line in pages[call_page - 1].splitlines() if line.strip()]
        assert any(text[:30] in line for line in lines[-8:])
    # The article's own PDF keeps them so too.
    article = out / "pdf" / "articles" / "tides.pdf"
    article_reader, article_pages = PdfReader(article), pdf_page_texts(article)
    for call, _note, text in pairs[:10]:
        assert pages_with(article_pages, text[:40]) == [pdf_destination_page(article_reader, call)]
    # No endnotes: the notes are gone from the ends of the chapters.
    assert not print_html.xpath("//aside[contains(@class, 'footnote')]")
    assert not print_html.xpath("//hr[contains(@class, 'footnotes')]")


def test_this_book_needs_footnotes_kept_with_their_calls(
    out: Path, print_html: html.HtmlElement
) -> None:
    """Laid out as WeasyPrint would on its own, some notes of this book fall a page late."""
    staging = out / "doctrees" / "triptych-pdf"
    layout = PrintLayout(
        roots=(staging, out / "src"), base_dir=staging, extra_css="", paper_size="A4",
        chapter_start="page", page_reference=" (p. {page})", pdf_variant="",
    )  # fmt: skip
    pairs = [(call, note) for call, note, _ in footnote_pairs(print_html)]
    document = layout.render((staging / f"{SLUG}.html").read_text())
    assert separated_footnotes(document, pairs)


def test_footnote_calls_are_superscript_labels(print_html: html.HtmlElement, out: Path) -> None:
    notes = print_html.xpath("//span[@class='triptych-footnote']")
    assert [note.get("data-label") for note in notes][:3] == ["1", "2", "3"]
    # The call and the marker are the label itself, raised, not "[1]".
    assert not print_html.xpath("//span[@class='triptych-footnote']//span[@class='fn-bracket']")
    from triptych.builders import asset_text

    stylesheet = " ".join(asset_text("print.css").split())
    call_rule = re.search(r"\.triptych-footnote::footnote-call \{([^}]*)\}", stylesheet)
    assert call_rule is not None
    assert "content: attr(data-label)" in call_rule[1]
    assert "vertical-align: super" in call_rule[1]
    assert re.search(r"\.triptych-footnote \{[^}]*float: footnote", stylesheet)


def test_epub_footnotes_have_noteref_and_footnote_semantics(epub: Epub) -> None:
    chapter = epub.xhtml("EPUB/tides.xhtml")
    references = chapter.xpath("//xhtml:a[@epub:type='noteref']", namespaces=NS)
    assert len(references) == 10
    for reference in references:
        (note,) = chapter.xpath(f"//*[@id='{reference.get('href')[1:]}']", namespaces=NS)
        assert note.tag == f"{{{NS['xhtml']}}}aside"
        assert note.get(EPUB_TYPE) == "footnote"
        assert "Note on paragraph" in "".join(note.itertext())


# --- Citations -----------------------------------------------------------------------------


def test_citations_link_to_their_entries_on_the_site(out: Path) -> None:
    page = html.parse(str(out / "html" / "tides.html")).getroot()
    paragraph = page.xpath("//p[starts-with(normalize-space(), 'As argued by')]")[0]
    text = " ".join(paragraph.text_content().split())
    assert text.startswith("As argued by Marsh and Shore [2], the tides follow the moon [1].")
    links = paragraph.xpath(".//span[@class='bibtex-citation']//a")
    assert [link.text for link in links] == ["2", "1"]
    bibliography = html.parse(str(out / "html" / "references.html")).getroot()
    for link, title in zip(links, ("The Tides of the North Sea", "Moon and Water"), strict=True):
        document, _, anchor = link.get("href").partition("#")
        assert document == "references.html"
        (entry,) = bibliography.xpath(f"//*[@id='{anchor}']")
        assert "citation" in entry.get("class").split()
        assert title in entry.text_content()


def test_citations_link_to_their_entries_in_the_epub(epub: Epub) -> None:
    chapter = epub.xhtml("EPUB/tides.xhtml")
    links = chapter.xpath("//xhtml:span[@class='bibtex-citation']//xhtml:a", namespaces=NS)
    assert len(links) == 2
    for link in links:
        target, _, anchor = epub.resolve(link.get("href"), "EPUB/tides.xhtml").partition("#")
        assert target == "EPUB/references.xhtml"
        (entry,) = epub.xhtml(target).xpath(f"//*[@id='{anchor}']", namespaces=NS)
        assert entry.get("role") == "listitem"
    (bibliography,) = epub.xhtml("EPUB/references.xhtml").xpath(
        "//*[@epub:type='bibliography']", namespaces=NS
    )
    assert bibliography.get("role") == "doc-bibliography"


def test_citations_link_to_their_entries_in_the_pdf(pdf: PdfReader, pages: list[str]) -> None:
    (citing_page,) = pages_with(
        pages, "As argued by Marsh and Shore [2], the tides follow the moon [1]"
    )
    (entries_page,) = pages_with(pages, "The Tides of the North Sea. Harbour Press, 2020")
    targets = [link.target for link in pdf_links(pdf) if link.page == citing_page and link.target]
    citations = [target for target in targets if target.startswith("references--")]
    assert len(citations) == 2
    assert {pdf_destination_page(pdf, target) for target in citations} == {entries_page}


def test_author_year_citations(tmp_path: Path) -> None:
    out = triptych_build(
        ROOT, tmp_path, "-f", "html,pdf", "-D", "bibtex_reference_style=author_year"
    )
    page = html.parse(str(out / "html" / "tides.html")).getroot()
    text = " ".join(page.xpath("//p[starts-with(normalize-space(), 'As argued by')]")[0]
                    .text_content().split())  # fmt: skip
    assert text.startswith(
        "As argued by Marsh and Shore [2020], the tides follow the moon [Lunar, 2018]."
    )
    bibliography = html.parse(str(out / "html" / "references.html")).getroot()
    (listing,) = bibliography.xpath("//div[contains(@class, 'triptych-bibliography')]")
    assert "triptych-author-year" in listing.get("class").split()
    printed = pdf_page_texts(out / "pdf" / f"{SLUG}.pdf")
    assert pages_with(
        printed, "As argued by Marsh and Shore [2020], the tides follow the moon [Lunar, 2018]"
    )
    # An author-year bibliography prints no labels.
    (entries,) = pages_with(printed, "The Tides of the North Sea")
    assert "[2]" not in printed[entries - 1]


def test_a_long_citation_label_stands_apart_from_its_entry(tmp_path: Path) -> None:
    # An alpha label ([MS20]) is wider than the hanging indent: it ran into the entry's text.
    out = triptych_build(ROOT, tmp_path, "-f", "pdf", "-D", "bibtex_default_style=alpha")
    printed = " ".join(" ".join(pdf_page_texts(out / "pdf" / f"{SLUG}.pdf")).split())
    assert "[MS20] Ada Marsh" in printed, printed[-600:]


def test_a_citation_without_a_bibliography_keeps_its_key(build_root: BuildRoot) -> None:
    app = build_root("html", "test-cite-nobib")
    warnings = app.warning.getvalue()
    assert re.search(
        r"index\.md:3: WARNING: citation 'marsh2020': no \.bib file is configured.*"
        r"\[triptych\.citation_unresolved\]",
        warnings,
    ), warnings
    page = html.parse(str(Path(app.outdir) / "index.html")).getroot()
    text = " ".join(page.xpath("//p")[0].text_content().split())
    assert text == "As argued by marsh2020, the tides follow the moon."


def test_a_folder_without_conf_py_uses_its_bib_files(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(Path(__file__).parent / "roots" / "test-noconf", source)
    shutil.copy(ROOT / "refs.bib", source / "refs.bib")
    (source / "z-references.md").write_text("# References\n\n```{bibliography}\n```\n")
    first = source / "a-first.md"
    first.write_text(first.read_text() + "\nThe tides follow the moon {cite:p}`lunar2018`.\n")
    out = triptych_build(source, tmp_path / "build", "-f", "html")
    shutil.rmtree(tmp_path / "build" / "src")
    page = html.parse(str(out / "html" / "a-first.html")).getroot()
    (link,) = page.xpath("//span[@class='bibtex-citation']//a")
    assert link.get("href").startswith("z-references.html#")


# --- Index ---------------------------------------------------------------------------------


def printed_locators(pages: list[str], index_page: int, term: str) -> str:
    """The page numbers printed after *term* in the index."""
    for line in pages[index_page - 1].splitlines():
        for column in re.split(r"\s{3,}", line.strip()):
            match = re.fullmatch(rf"{re.escape(term)} ([\d, {DASH}]+)", column)
            if match:
                return match[1]
    raise AssertionError(f"{term!r} is not in the index")


def compressed(numbers: list[int]) -> str:
    """4, 5, 6, 9 as a reader expects it: 4-6, 9 (with an en dash)."""
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{run[0]}{DASH}{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def test_the_pdf_index_prints_the_pages_of_the_indexed_text(
    pdf: PdfReader, pages: list[str]
) -> None:
    outline = pdf_outline(pdf)
    (index_page,) = [page for title, depth, page in outline if title == "Index" and depth == 1]
    assert index_page == len(pages)
    moon = [page for mark in (4, 9, 11, 13) for page in pages_with(pages, f"moon mark {mark}.")]
    assert len(moon) == 4
    assert printed_locators(pages, index_page, "Moon") == compressed(moon)
    assert DASH in compressed(moon)  # the book does put a range to the test
    assert printed_locators(pages, index_page, "Spring tide") == str(
        pages_with(pages, "comes at a spring tide, twice")[0]
    )
    assert printed_locators(pages, index_page, "Narrows") == str(
        pages_with(pages, "strongest at the narrows, where")[0]
    )
    # The directive form: the page where the paragraph after it begins.
    assert printed_locators(pages, index_page, "Neap tide") == str(
        pages_with(pages, "Paragraph 14.")[0]
    )
    # Uses of a glossary term, then its entry in the glossary.
    (glossary,) = [page for title, depth, page in outline if title == "Glossary"]
    ebb_uses = pages_with(pages, "harbour is the ebb.") + pages_with(pages, "the ebb takes it out")
    # The glossary's page is the main place: no range swallows it.
    assert glossary not in ebb_uses
    assert printed_locators(pages, index_page, "Ebb") == f"{compressed(ebb_uses)}, {glossary}"
    assert "Lunar tide see Moon" in " ".join(pages[index_page - 1].split())


def test_the_pdf_index_links_to_the_pages_it_prints(pdf: PdfReader, pages: list[str]) -> None:
    index_page = len(pages)
    printed = {
        int(number)
        for number in re.findall(r"\b\d+\b", pages[index_page - 1])
        if int(number) != index_page  # the folio
    }
    linked = {
        pdf_destination_page(pdf, link.target)
        for link in pdf_links(pdf)
        if link.page == index_page and link.target
    }
    # Every number printed is a link's page; hidden repeats and the insides of ranges link too.
    assert printed <= linked
    assert min(linked) >= min(printed) and max(linked) <= max(printed)


def test_the_index_is_in_the_contents(pages: list[str]) -> None:
    contents = " ".join(pages[2].split())
    assert re.search(rf"Index[ .]+{len(pages)}$", contents)


def test_the_epub_index_has_epub_indexes_semantics(epub: Epub) -> None:
    assert epub.spine[-1] == "EPUB/genindex.xhtml"
    assert ("Index", "EPUB/genindex.xhtml", 1) in epub.nav_toc()
    document = epub.xhtml("EPUB/genindex.xhtml")
    (index,) = document.xpath("//*[@epub:type='index']", namespaces=NS)
    assert index.get("role") == "doc-index"
    groups = index.xpath("./xhtml:section[@epub:type='index-group']", namespaces=NS)
    assert [group.xpath("string(xhtml:h2)", namespaces=NS) for group in groups] == [
        "E", "F", "L", "M", "N", "S",
    ]  # fmt: skip
    entries = {
        entry.xpath("string(xhtml:span[@epub:type='index-term'])", namespaces=NS): entry
        for entry in document.xpath("//xhtml:li[@epub:type='index-entry']", namespaces=NS)
    }
    locators = entries["Moon"].xpath(".//xhtml:a[@epub:type='index-locator']", namespaces=NS)
    # One locator per section: the marks stand in the article's two sections.
    assert ["".join(a.itertext()) for a in locators] == ["Tides", "The channel"]
    for locator in document.xpath("//xhtml:a[@epub:type='index-locator']", namespaces=NS):
        target, _, anchor = epub.resolve(locator.get("href"), "EPUB/genindex.xhtml").partition("#")
        assert epub.xhtml(target).xpath(f"//*[@id='{anchor}']"), locator.get("href")
    (see,) = entries["Lunar tide"].xpath(".//*[@epub:type='index-xref-preferred']", namespaces=NS)
    assert see.xpath("string(.//*[@epub:type='index-term'])", namespaces=NS) == "Moon"
    assert epubcheck_messages(epub.path) == []


def test_the_site_links_its_general_index(out: Path) -> None:
    # In the contents every page's navigation loads.
    contents = site_contents(out / "html")
    assert contents.xpath("//a[@href='genindex.html' and normalize-space()='Index']")
    index = html.parse(str(out / "html" / "genindex.html")).getroot()
    terms = [
        " ".join(a.text_content().split())
        for a in index.xpath("//table[contains(@class, 'genindextable')]//li/a[1]")
    ]
    for term in ("Ebb", "Moon", "Narrows", "Spring tide"):
        assert term in terms
    # The uses of a term are among its links, beside its glossary entry.
    (ebb,) = index.xpath("//li[a[1][normalize-space()='Ebb']]")
    hrefs = [a.get("href") for a in ebb.xpath("./a")]
    assert any(href.startswith("glossary.html#") for href in hrefs)
    assert any(href.startswith("tides.html#") for href in hrefs)


def test_term_uses_can_stay_out_of_the_index(build_root: BuildRoot) -> None:
    app: SphinxTestApp = build_root(
        "ebook", "test-apparatus", confoverrides={"triptych_index_terms": False}
    )
    book = Epub.open(Path(app.outdir) / f"{SLUG}.epub")
    document = book.xhtml("EPUB/genindex.xhtml")
    (ebb,) = document.xpath("//xhtml:li[xhtml:span[@epub:type='index-term']='Ebb']", namespaces=NS)
    hrefs = [a.get("href") for a in ebb.xpath(".//xhtml:a", namespaces=NS)]
    assert hrefs == ["glossary.xhtml#term-Ebb"]


# --- Book conventions ----------------------------------------------------------------------


def test_no_running_head_on_a_chapter_s_first_page(pdf: PdfReader, pages: list[str]) -> None:
    chapters = [(title, page) for title, depth, page in pdf_outline(pdf) if depth == 1]
    starts = [page for _, page in chapters] + [len(pages) + 1]
    for (title, first), next_start in zip(chapters, starts[1:], strict=True):
        lines = [line.strip() for line in pages[first - 1].splitlines() if line.strip()]
        # The title stands once: as the chapter's heading, with no running head above it.
        assert lines[0] == title
        assert sum(line == title for line in lines) == 1
        for later in range(first + 1, next_start):
            first_line = next(
                line.strip() for line in pages[later - 1].splitlines() if line.strip()
            )
            assert first_line == title, (title, later)
    assert any(
        next_start - first > 1 for (_, first), next_start in zip(chapters, starts[1:], strict=True)
    )


def test_the_imprint_follows_the_title_page(pages: list[str], epub: Epub) -> None:
    imprint = " ".join(pages[1].split())
    (identifier,) = epub.metadata("identifier")  # the publication's one identifier
    for expected in (
        "Tides and Currents: A small book with notes, citations and an index",
        "© 2026 Ada Marsh. Published under the Creative Commons Attribution 4.0 licence.",
        "Published by Harbour Test Press",
        "Edition 2.1, 24 November 2026",
        f"Identifier: {identifier}",
    ):
        assert expected in imprint
    assert identifier.startswith("urn:uuid:")
    assert "Contents" in pages[2]


def test_dc_date_is_the_configured_date(epub: Epub) -> None:
    # SOURCE_DATE_EPOCH says 1 January 2026; the publication is dated 24 November 2026.
    assert epub.metadata("date") == ["2026-11-24"]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("24 November 2026", CalendarDate(2026, 11, 24)),
        ("November 24, 2026", CalendarDate(2026, 11, 24)),
        ("2026-11-24", CalendarDate(2026, 11, 24)),
        ("3 Sept. 2025", CalendarDate(2025, 9, 3)),
        ("March 2026", CalendarDate(2026, 3)),
        ("2026", CalendarDate(2026)),
        ("31 February 2026", None),
        ("next spring", None),
    ],
)
def test_publication_dates_are_read(text: str, date: CalendarDate | None) -> None:
    assert parse_date(text) == date


def test_an_unreadable_date_is_a_located_warning(build_root: BuildRoot) -> None:
    app = build_root("ebook", "test-basic", confoverrides={"triptych_date": "next spring"})
    assert "triptych.unreadable_date" in app.warning.getvalue()
    book = Epub.open(Path(app.outdir) / "basic-test-book.epub")
    assert book.metadata("date") == ["2026-01-01"]  # SOURCE_DATE_EPOCH


def test_the_page_audit_follows_every_index_locator(out: Path, tmp_path: Path) -> None:
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, NumberObject

    book = out / "pdf" / f"{SLUG}.pdf"
    audit = audit_page_numbers(book)
    assert audit.problems == []
    reader = PdfReader(book)
    index_page = len(reader.pages)
    printed = [
        number
        for line in pdf_page_texts(book)[index_page - 1].splitlines()[:-1]  # the folio last
        for number in re.findall(r"\b\d+\b", line)
    ]
    # Each visible number is audited (hidden repeats carry no text to read).
    assert audit.index_locators == len(printed) >= 10

    # A fault: the place one indexed passage is drawn at moves a page on.
    writer = PdfWriter(clone_from=book)
    names = writer.root_object["/Names"]["/Dests"]["/Names"]
    moved = next(
        index
        for index in range(0, len(names), 2)
        if str(names[index]).endswith("index-0") or "-use-" in str(names[index])
    )
    destination = names[moved + 1].get_object()
    array = destination if isinstance(destination, ArrayObject) else destination["/D"]
    page_numbers = {page.indirect_reference.idnum: n for n, page in enumerate(writer.pages)}
    on_page = page_numbers[array[0].idnum]
    array[0] = writer.pages[on_page + 1].indirect_reference
    array[3] = NumberObject(800)  # the top of the page after
    faulty = tmp_path / "faulty.pdf"
    writer.write(faulty)
    problems = audit_page_numbers(faulty).problems
    assert any(
        "index locator" in problem
        and f"says page {on_page + 1}, the text it indexes begins on page {on_page + 2}" in problem
        for problem in problems
    ), problems
