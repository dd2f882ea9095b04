"""Every page number the PDF prints is the page the reader finds its target on.

``test-page-ends`` has four long articles whose sections are of uneven length,
so that at A4, at Letter and with chapters on right-hand pages some headings
fall at the foot of a page and are pushed to the next one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from lxml import html
from pypdf import PdfReader
from sphinx.writers.html5 import HTML5Translator

from outputs import pdf_destination_page, pdf_outline
from triptych.builders.pdf import PdfBuilder
from triptych.checks.pages import audit_page_numbers

if TYPE_CHECKING:
    from sphinx.testing.util import SphinxTestApp

    from conftest import BuildRoot

ROOT = "test-page-ends"
PDF = "harbour-works.pdf"
SETTINGS = {
    "a4": {},
    "letter": {"triptych_paper_size": "Letter"},
    "right-hand chapters": {"triptych_chapter_start": "right"},
}
#: About, four articles of eight sections each, the glossary, the index.
CONTENTS_ENTRIES = 1 + 4 * (1 + 8) + 1 + 1
#: {ref}s from one article to a section of another.
PAGE_REFERENCES = 32
#: "says page 18 and links to page 18, its heading is on page 19", or, for a link that
#: prints no number, "links to page 13, "Accumulator towers" is on page 14"
ONE_PAGE_EARLY = re.compile(
    r"(?:says page (?P<says>\d+) and )?links to page (?P<lands>\d+).* is on page (?P<is_on>\d+)$"
)


def build(build_root: BuildRoot, setting: str) -> SphinxTestApp:
    overrides = {**SETTINGS[setting], "triptych_article_pdfs": False}
    app = build_root("pdf", ROOT, confoverrides=overrides)
    assert app.warning.getvalue() == ""
    return app


@pytest.fixture(scope="module", params=list(SETTINGS))
def built(request: pytest.FixtureRequest, build_root: BuildRoot) -> SphinxTestApp:
    return build(build_root, request.param)


@pytest.fixture(scope="module")
def built_a4(build_root: BuildRoot) -> SphinxTestApp:
    return build(build_root, "a4")


def test_every_printed_number_is_the_page_of_its_text(built: SphinxTestApp) -> None:
    audit = audit_page_numbers(Path(built.outdir) / PDF)
    assert audit.problems == []
    assert audit.contents_entries == CONTENTS_ENTRIES
    # A reference broken across two lines is two link annotations, each read as a reference.
    assert PAGE_REFERENCES <= audit.page_references <= PAGE_REFERENCES + 2
    assert audit.back_references >= 30
    # The same-article reference to a section: it prints no page, but must land on it.
    assert audit.links_to_headings >= 1
    # Sections do begin at the head of a page, which is where numbers went wrong.
    reader = PdfReader(Path(built.outdir) / PDF)
    heading_first = [
        title
        for title, depth, page in pdf_outline(reader)
        if depth == 2
        and title
        in [line.strip() for line in reader.pages[page - 1].extract_text().splitlines()[:2]]
    ]
    assert heading_first, "no section of the test root begins a page"


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_ids_on_sections_put_numbers_a_page_early(
    build_root: BuildRoot, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    # With Sphinx's own writer, a section's ids stay on <section>: the root is built so
    # that this goes wrong at every paper size, and the audit must say where.
    monkeypatch.setattr(PdfBuilder, "default_translator_class", HTML5Translator)
    app = build(build_root, setting)
    problems = audit_page_numbers(Path(app.outdir) / PDF).problems
    assert any("contents entry" in problem for problem in problems), problems
    assert any(": reference " in problem for problem in problems), problems
    for problem in problems:
        match = ONE_PAGE_EARLY.search(problem)
        assert match is not None, problem
        assert match["says"] in {None, match["lands"]}, problem
        assert int(match["is_on"]) == int(match["lands"]) + 1, problem


def test_print_html_writes_ids_where_their_text_begins(built_a4: SphinxTestApp) -> None:
    tree = html.parse(str(Path(built_a4.doctreedir) / "triptych-pdf" / "harbour-works.html"))
    assert tree.xpath("//section[@id]") == []
    for section in tree.xpath("//main//section"):
        heading = section[0]
        assert re.fullmatch(r"h[1-6]", heading.tag) and heading.get("id"), html.tostring(section)
    # Every label of a section resolves inside its heading.
    heading = tree.xpath("//*[@id='cranes--cranes-heavy-lifts']")[0]
    assert heading.tag == "h2"
    assert heading.xpath("span/@id") == ["cranes--heavy-lifts"]
    # Further ids of a list or a table join its first item or its caption.
    (item,) = tree.xpath("//ul[@id='cranes--list-lifts']/li[1]")
    assert item.get("id") == "cranes--list-heavy-lifts"
    (caption,) = tree.xpath("//table[@id='warehouses--tbl-grain-table']/caption")
    assert {caption.get("id"), *caption.xpath("span/@id")} >= {
        "warehouses--tbl-grain-stores",
        "warehouses--tbl-grain",
    }
    # No empty anchor is left standing between blocks, where a page can end.
    blocks = {"section", "div", "main", "body", "ul", "ol", "dl", "table", "figure"}
    for anchor in tree.xpath("//span[@id][not(node())]"):
        assert anchor.getparent().tag not in blocks, anchor.get("id")
    # Every link still finds its target.
    ids = {str(value) for value in tree.xpath("//@id")}
    assert {str(href)[1:] for href in tree.xpath("//a/@href")} <= ids


def wrong_numbers_css(tree: html.HtmlElement) -> tuple[str, dict[str, str]]:
    """CSS that prints a wrong number for one entry of each kind, and the destinations it hits."""
    reference = tree.xpath("//a[contains(@class, 'triptych-pageref')]/@href")[0]
    back_reference = tree.xpath("//a[contains(@class, 'triptych-page-number')]/@href")[0]
    hits = {
        "contents": "#cranes--cranes-hydraulic-power",
        "reference": str(reference),
        "back-reference": str(back_reference),
    }
    css = (
        f'html nav a[href="{hits["contents"]}"]::after'
        ' { content: leader(". ") "3" !important; }\n'
        f'html main a.triptych-pageref[href="{hits["reference"]}"]::after'
        ' { content: " (p. 4)" !important; }\n'
        f'html main a.triptych-page-number[href="{hits["back-reference"]}"]::after'
        ' { content: "2" !important; }\n'
    )
    return css, hits


def test_audit_catches_numbers_that_are_wrong(built_a4: SphinxTestApp, tmp_path: Path) -> None:
    staged = Path(built_a4.doctreedir) / "triptych-pdf" / "harbour-works.html"
    source = staged.read_text()
    css, hits = wrong_numbers_css(html.fromstring(source))
    reader = PdfReader(Path(built_a4.outdir) / PDF)

    def page(destination: str) -> int:
        return pdf_destination_page(reader, destination.removeprefix("#"))

    # And a contents entry pointed at another section: its number and its link are wrong.
    retargeted = re.sub(
        r'<li><a class="triptych-contents-link" href="#ferries--ferries-outlook" data-page="\d+">',
        '<li><a class="triptych-contents-link" href="#quays--quays-what-remains" '
        f'data-page="{page("#quays--quays-what-remains")}">',
        source,
    )
    assert retargeted != source
    edited = retargeted.replace("</head>", f"<style>{css}</style>\n</head>")
    layout = built_a4.builder.layout()  # type: ignore[attr-defined]
    wrong = tmp_path / PDF
    wrong.write_bytes(layout.write(layout.render(edited)))

    problems = audit_page_numbers(wrong).problems
    references = source.count(
        f'class="triptych-pageref reference internal" href="{hits["reference"]}"'
    )
    assert references >= 1
    # The index prints the same use's page with the same kind of link: the style reaches it too.
    locators = [problem for problem in problems if ": index locator " in problem]
    assert len(locators) == source.count(f'href="{hits["back-reference"]}"') - 1
    problems = [problem for problem in problems if problem not in locators]
    assert len(problems) == 3 + references, "\n".join(problems)
    contents, outlook, *reference_problems, back_reference = problems
    hydraulic = page(hits["contents"])
    assert contents == (
        f'{PDF}: contents entry "Hydraulic power" says page 3, its heading is on page {hydraulic}'
    )
    remains, ferries_outlook = page("#quays--quays-what-remains"), page("#ferries--ferries-outlook")
    assert outlook == (
        f'{PDF}: contents entry "Outlook" says page {remains} and links to page {remains}, '
        f"its heading is on page {ferries_outlook}"
    )
    for reference in reference_problems:
        assert re.fullmatch(
            rf'{PDF}: page \d+: reference ".+ \(p\. 4\)" says page 4, its heading is on page '
            f"{page(hits['reference'])}",
            reference,
        ), reference
    assert re.fullmatch(
        rf'{PDF}: page \d+: back-reference 2 of ".+" says page 2, the term is used on page '
        f"{page(hits['back-reference'])}",
        back_reference,
    ), back_reference
    for locator in locators:
        assert re.fullmatch(
            rf'{PDF}: page \d+: index locator 2 of ".+" says page 2, the text it indexes begins '
            f"on page {page(hits['back-reference'])}",
            locator,
        ), locator


def test_audit_of_an_untouched_render_finds_nothing(
    built_a4: SphinxTestApp, tmp_path: Path
) -> None:
    # The edited render above is compared with a render of the same print HTML, unedited.
    staged = Path(built_a4.doctreedir) / "triptych-pdf" / "harbour-works.html"
    layout = built_a4.builder.layout()  # type: ignore[attr-defined]
    again = tmp_path / PDF
    again.write_bytes(layout.write(layout.render(staged.read_text())))
    assert audit_page_numbers(again).problems == []


def test_a_font_missing_a_glyph_is_read_as_drawn(tmp_path: Path) -> None:
    """WeasyPrint encodes a font that lacks a glyph (here an emoji) with a CMap of its own."""
    from triptych import cli

    source = tmp_path / "emoji"
    source.mkdir()
    (source / "index.md").write_text("# Launch\n\n```{toctree}\nfirst\nsecond\n```\n")
    (source / "first.md").write_text("# First steps \U0001f680\n\nSee {ref}`later`.\n")
    (source / "second.md").write_text("(later)=\n# Later steps\n\nText \U0001f680.\n")
    out = tmp_path / "out"
    assert cli.main(["build", str(source), "-o", str(out), "-q", "-f", "pdf"]) == 0
    pdf = out / "pdf" / "launch.pdf"
    fonts = [
        font.get_object()
        for page in PdfReader(pdf).pages
        for font in page["/Resources"]["/Font"].values()
    ]
    assert any(font["/Encoding"] != "/Identity-H" for font in fonts)  # the case at hand

    audit = audit_page_numbers(pdf)
    assert audit.problems == []
    assert audit.contents_entries == 2
    assert audit.page_references == 1


def test_headings_that_are_links_are_headings(tmp_path: Path) -> None:
    """docutils' ``contents`` makes each section title a link back to its entry, as autodoc
    links a module's title to itself: the audit took no such line for a heading, so every
    contents entry from there on was matched to the heading after its own, and was "wrong"."""
    from triptych import cli

    source = tmp_path / "linked"
    source.mkdir()
    (source / "index.md").write_text("# Linked\n\n```{toctree}\nguide\nafter\n```\n")
    (source / "guide.md").write_text(
        "# Guide\n\n```{contents}\n```\n\n## First part\n\nText.\n\n"
        "(second)=\n## Second part\n\nText.\n\n## Third part\n\nText.\n"
    )
    (source / "after.md").write_text("# After\n\nSee {ref}`the second part <second>`.\n")
    out = tmp_path / "out"
    assert cli.main(["build", str(source), "-o", str(out), "-q", "-f", "pdf"]) == 0
    audit = audit_page_numbers(out / "pdf" / "linked.pdf")
    assert audit.problems == []
    assert audit.contents_entries == 5
    assert audit.page_references == 1


def test_text_that_cannot_be_read_is_a_problem(tmp_path: Path) -> None:
    """An encoding the audit cannot read fails it, rather than leaving nothing to check."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    test_a_font_missing_a_glyph_is_read_as_drawn(tmp_path)
    writer = PdfWriter(clone_from=tmp_path / "out" / "pdf" / "launch.pdf")
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            encoding = font.get_object()["/Encoding"].get_object()
            if encoding != "/Identity-H":
                # One-byte codes: pypdf splits the two-byte text into NULs and characters.
                encoding.set_data(encoding.get_data().replace(b"<0000> <ffff>", b"<00> <ff>"))
                font.get_object()[NameObject("/Encoding")] = encoding.indirect_reference
    unreadable = tmp_path / "unreadable.pdf"
    with unreadable.open("wb") as stream:
        writer.write(stream)

    audit = audit_page_numbers(unreadable)
    assert audit.printed_numbers == 0
    assert len(audit.problems) == 1
    assert re.fullmatch(
        r"unreadable\.pdf: page \d+: its text cannot be read .*; no page number was checked",
        audit.problems[0],
    ), audit.problems


WORDED = "test-worded-references"
WORDED_PDF = "lighthouse-keeping.pdf"


@pytest.fixture(scope="module")
def worded(build_root: BuildRoot) -> SphinxTestApp:
    app = build_root("pdf", WORDED, confoverrides={"triptych_article_pdfs": False})
    assert app.warning.getvalue() == ""
    return app


def test_references_worded_otherwise_than_their_heading(worded: SphinxTestApp) -> None:
    # An emphasised word in a reference (one annotation for the link, one for the word),
    # a chapter's title linking to a section of it, another section's title linking to
    # a chapter: each is one reference, to the page its link lands on. So is a glossary
    # term's or another section's title linking to a section the contents do not list
    # (the words name other bold lines, on other pages, than the heading it lands on).
    # And a glossary entry holding a note, whose bold title stands between the term and
    # its pages.
    pdf = Path(worded.outdir) / WORDED_PDF
    audit = audit_page_numbers(pdf)
    assert audit.problems == []
    assert audit.page_references == 6
    assert audit.back_references == 3
    reader = PdfReader(pdf)
    text = reader.pages[pdf_destination_page(reader, "document-questions") - 1].extract_text()
    for chapter, section in [("lamps", "lamps-soot"), ("signals", "signals-bells")]:
        page = pdf_destination_page(reader, f"{chapter}--{section}")
        assert page > pdf_destination_page(reader, f"document-{chapter}")
        assert f"(p. {page})" in " ".join(text.split())
    for words, section, heading in [
        ("the wick trimmer", "lamps-trimming", "Trimming"),
        ("fog signals", "lamps-mending", "Mending"),
    ]:
        page = pdf_destination_page(reader, f"lamps--{section}")
        assert heading in reader.pages[page - 1].extract_text().splitlines()
        assert f"see {words} (p. {page})" in " ".join(text.split())


def test_audit_catches_a_wrong_number_after_other_words(
    worded: SphinxTestApp, tmp_path: Path
) -> None:
    staged = Path(worded.doctreedir) / "triptych-pdf" / "lighthouse-keeping.html"
    css = (
        'html main a.triptych-pageref[href="#lamps--lamps-soot"]::after'
        ' { content: " (p. 2)" !important; }\n'
    )
    edited = staged.read_text().replace("</head>", f"<style>{css}</style>\n</head>")
    layout = worded.builder.layout()  # type: ignore[attr-defined]
    wrong = tmp_path / WORDED_PDF
    wrong.write_bytes(layout.write(layout.render(edited)))
    soot = pdf_destination_page(PdfReader(wrong), "lamps--lamps-soot")
    (problem,) = audit_page_numbers(wrong).problems
    assert re.fullmatch(
        rf'{WORDED_PDF}: page \d+: reference ".*Tower \(p\. 2\)" says page 2, its heading is on '
        f"page {soot}",
        problem,
    ), problem


RETITLED = "test-retitled-contents"
RETITLED_PDF = "testing-handbook.pdf"


@pytest.fixture(scope="module")
def retitled(build_root: BuildRoot) -> SphinxTestApp:
    app = build_root("pdf", RETITLED, confoverrides={"triptych_article_pdfs": False})
    assert app.warning.getvalue() == ""
    return app


def test_contents_entries_titled_otherwise_than_their_pages(retitled: SphinxTestApp) -> None:
    # "Tutorials <intro>" is also its part's title and a glossary term, "Code coverage <cov>"
    # also a section of a later page: each entry is checked against the page its link lands
    # on, and the reference to the page against the same heading.
    pdf = Path(retitled.outdir) / RETITLED_PDF
    reader = PdfReader(pdf)
    assert pdf_destination_page(reader, "layout--code-coverage") != pdf_destination_page(
        reader, "document-cov"
    )
    audit = audit_page_numbers(pdf)
    assert audit.problems == []
    assert audit.contents_entries == 8  # intro, cov, layout and its three sections, glossary, index
    assert audit.page_references == 1


def test_audit_catches_a_wrong_number_of_a_retitled_entry(
    retitled: SphinxTestApp, tmp_path: Path
) -> None:
    staged = Path(retitled.doctreedir) / "triptych-pdf" / "testing-handbook.html"
    css = "".join(
        f'html nav a[href="#document-{name}"]::after {{ content: leader(". ") "2" !important; }}\n'
        for name in ("intro", "cov")
    )
    edited = staged.read_text().replace("</head>", f"<style>{css}</style>\n</head>")
    layout = retitled.builder.layout()  # type: ignore[attr-defined]
    wrong = tmp_path / RETITLED_PDF
    wrong.write_bytes(layout.write(layout.render(edited)))
    reader = PdfReader(wrong)
    assert audit_page_numbers(wrong).problems == [
        f'{RETITLED_PDF}: contents entry "{title}" says page 2, its heading is on page '
        f"{pdf_destination_page(reader, f'document-{name}')}"
        for title, name in (("Tutorials", "intro"), ("Code coverage", "cov"))
    ]
