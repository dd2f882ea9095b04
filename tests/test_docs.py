"""The publication that ships in docs/, built as a maintainer builds it, with warnings as errors."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from lxml import html
from pypdf import PdfReader

from outputs import (
    Epub,
    check_html_links,
    epubcheck_messages,
    indexed_documents,
    nu_check,
    pdf_broken_links,
    pdf_links,
    pdf_outline,
    search_index,
)
from triptych import cli
from triptych.checks.pages import audit_page_numbers

if TYPE_CHECKING:
    from pathlib import Path

ARTICLES = ("alliance", "coordination", "motives", "ripple-effects")
SLUG = "bound-by-arms"
#: The contents of the PDF and of the EPUB, top level.
CHAPTER_TITLES = [
    "About this publication",
    "The Alliance and Its Institutions",
    "What Strengthened Coordination Looks Like",
    "Why Now: The Strategic Motives",
    "Regional Ripple Effects",
    "Glossary",
    "Sources",
    "Index",
]


@pytest.fixture(scope="module")
def out(docs_build: Path) -> Path:
    """docs/ built once with ``-W``, shared with the browser tests: read it, never change it."""
    return docs_build


def article_text(page: Path) -> str:
    tree = html.parse(str(page))
    (article,) = tree.xpath("//article[@role='main']")
    # The download line and the definitions previewed on term links are not the article's prose.
    for extra in article.xpath(
        ".//div[contains(@class, 'triptych-downloads')]"
        " | .//div[contains(@class, 'triptych-term-previews')]"
    ):
        extra.getparent().remove(extra)
    return " ".join(article.text_content().split())


def test_articles_are_of_the_required_length(out: Path) -> None:
    for name in ARTICLES:
        words = len(re.findall(r"\w[\w\u2019'-]*", article_text(out / "html" / f"{name}.html")))
        assert 400 <= words <= 900, (name, words)


def test_glossary_terms_and_references(out: Path) -> None:
    glossary = html.parse(str(out / "html" / "glossary.html"))
    terms = {str(t) for t in glossary.xpath("//dl[contains(@class, 'glossary')]/dt/@id")}
    for required in (
        "CSTO",
        "Union-State",
        "NATO",
        "ISR",
        "Interoperability",
        "Eastern-flank",
        "Pre-positioning",
        "Combined-arms",
        "C2",
    ):
        assert f"term-{required}" in terms
    entries = glossary.xpath("//dl[contains(@class, 'glossary')]/dd")
    assert len(entries) >= 12

    term_links = 0
    section_links: Counter[str] = Counter()
    for name in ARTICLES:
        tree = html.parse(str(out / "html" / f"{name}.html"))
        for href in tree.xpath("//article//a[contains(@class, 'internal')]/@href"):
            target, _, fragment = str(href).partition("#")
            if target == "glossary.html" and fragment.startswith("term-"):
                assert fragment in terms
                term_links += 1
            elif target.removesuffix(".html") in ARTICLES and target != f"{name}.html" and fragment:
                section_links[name] += 1
    assert term_links >= 30
    assert sum(section_links.values()) >= 10
    assert all(section_links[name] >= 1 for name in ARTICLES)


def test_every_word_in_every_edition(out: Path) -> None:
    from triptych.checks.text import audit_text

    audits = {audit.edition: audit for audit in audit_text(out)}
    assert set(audits) == {"site", "pdf", "epub", "articles"}
    for audit in audits.values():
        assert [passage.line() for passage in audit.missing] == []
        assert audit.words > 3000
    # The PDF and the EPUB print the root's title and byline on their title page instead.
    assert audits["site"].words - audits["pdf"].words == audits["pdf"].replaced["the title page"]


def test_site_links_resolve_and_offer_downloads(out: Path) -> None:
    report = check_html_links(out / "html")
    assert report.broken == []
    for name in ("index", "glossary", *ARTICLES):
        tree = html.parse(str(out / "html" / f"{name}.html"))
        own = [f"_downloads/articles/{name}.pdf"] if name != "index" else []
        assert tree.xpath("//div[contains(@class, 'triptych-downloads')]//a/@href") == [
            f"_downloads/{SLUG}.pdf",
            f"_downloads/{SLUG}.epub",
            *own,
        ]


def test_site_is_valid_html(out: Path) -> None:
    report = nu_check(out / "html")
    assert report.errors == []
    assert report.unexplained_warnings == []


def test_search_finds_a_definition_only_in_the_glossary(out: Path) -> None:
    """The glossary defines broad gauge with "wheelsets", which no article says."""
    for name in ARTICLES:
        assert "wheelset" not in article_text(out / "html" / f"{name}.html").lower()
    previewed = [
        html.parse(str(out / "html" / f"{name}.html")).xpath(
            "string(//div[contains(@class, 'triptych-term-previews')])"
        )
        for name in ARTICLES
    ]
    assert sum("wheelsets" in text for text in previewed) >= 2
    assert indexed_documents(search_index(out / "html"), "wheelset") == {"glossary"}


def test_pdf(out: Path) -> None:
    reader = PdfReader(out / "pdf" / f"{SLUG}.pdf")
    outline = pdf_outline(reader)
    assert [title for title, depth, _ in outline if depth == 1] == CHAPTER_TITLES
    assert sum(1 for _, depth, _ in outline if depth == 2) >= 16
    assert pdf_broken_links(reader).broken == []
    targets = [link.target or "" for link in pdf_links(reader)]
    assert sum(1 for t in targets if t.startswith("glossary--term-")) >= 30
    cross = {t for t in targets if t.split("--")[0] in ARTICLES}
    assert len(cross) >= 10
    # Back-references print each page once, in order, and there is one list per entry.
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    lists = re.findall(r"Used on pages? ([0-9, ]+)\.", text)
    assert len(lists) == 17
    assert not re.search(r"Used on pages \d+\.", text)  # one page is "page"
    for listed in lists:
        pages = [int(number) for number in listed.split(", ")]
        assert pages == sorted(set(pages)), listed
    # The sources of record are cited, and the index lists the key terms with their pages.
    assert re.search(r"Collective Security Treaty signed in Tashkent in 1992 \[\d\]", text)
    index_page = " ".join(reader.pages[-1].extract_text().split())
    assert index_page.startswith("Index")
    for term in ("Lukashenko, Alexander", "Kaliningrad", "Poland", "CSTO", "Suwałki Gap"):
        assert re.search(rf"{re.escape(term)} \d", index_page), term


def test_pdf_page_numbers_are_the_pages_of_their_text(out: Path) -> None:
    # "Logistics and infrastructure", "Outlook" and "Keeping Minsk aligned" begin a page:
    # their sections start at the foot of the page before, their headings do not.
    audit = audit_page_numbers(out / "pdf" / f"{SLUG}.pdf")
    assert audit.problems == []
    assert audit.contents_entries == 27  # with the sources and the index
    assert audit.page_references == 23
    assert audit.back_references >= 40
    reader = PdfReader(out / "pdf" / f"{SLUG}.pdf")
    contents = " ".join(reader.pages[2].extract_text().split())
    for title in ("Logistics and infrastructure", "Outlook", "Keeping Minsk aligned"):
        printed = re.search(rf"{title}[ .]+(\d+)\b", contents)
        assert printed is not None, title
        # Whichever page the layout gives it, the heading is a line of the page printed.
        lines = [
            line.strip() for line in reader.pages[int(printed[1]) - 1].extract_text().splitlines()
        ]
        assert title in lines, (title, printed[1], lines[:3])


def test_epub(out: Path) -> None:
    epub = Epub.open(out / "epub" / f"{SLUG}.epub")
    assert epub.metadata("title") == [
        "Bound by Arms",
        "How Russia and Belarus are deepening their military alliance",
    ]
    assert epub.metadata("language") == ["en"]
    chapters = ("cover", "titlepage", "nav", "index", *ARTICLES, "glossary", "sources", "genindex")
    assert epub.spine == [f"EPUB/{name}.xhtml" for name in chapters]
    assert [title for title, _, depth in epub.nav_toc() if depth == 1] == CHAPTER_TITLES
    assert epub.check_links().broken == []
    assert epubcheck_messages(epub.path) == []


def test_triptych_check_passes_with_every_audit(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "0 missing" in printed
    assert "pages    pdf" in printed
    assert printed.rstrip().endswith("every printed page number right")
