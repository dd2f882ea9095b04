"""The site: term previews describe their links without entering the text; every page is valid HTML.

The root ``test-site`` has labelled tables, equations (dollarmath and amsmath),
figures, footnotes and a glossary, on Furo, the theme that wraps tables and
equations. The browser tests drive Debian's Chromium through Playwright on a
phone-sized screen.
"""

from __future__ import annotations

import re
import zipfile
from typing import TYPE_CHECKING, Any

import pytest
from lxml import etree, html
from pypdf import PdfReader
from sphinx.search.en import SearchEnglish

from outputs import epubcheck_messages, indexed_documents, nu_check, search_index, triptych_build

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, Page

ARTICLES = ("measures", "rails")
DEFINITIONS = {
    "term-CSTO": "A military alliance of six post-Soviet states.",
    "term-Gauge": (
        "The distance between the inner faces of a railway\u2019s two rails, which decides"
        " which trains and bogies can run on it."
    ),
    "term-NATO": "The Western military alliance.",
}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def out(rootdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return triptych_build(rootdir / "test-site", tmp_path_factory.mktemp("site"))


def page(out: Path, name: str) -> etree._ElementTree:
    return html.parse(str(out / "html" / f"{name}.html"))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def test_every_page_is_valid_html(out: Path) -> None:
    report = nu_check(out / "html")
    assert report.errors == []
    assert report.unexplained_warnings == []


def test_labels_are_written_once(out: Path) -> None:
    tree = page(out, "measures")
    ids = [str(i) for i in tree.xpath("//@id")]
    assert len(ids) == len(set(ids))
    for label in ("tbl-gauges", "tbl-loads", "equation-eq-difference", "eq-speed-label"):
        assert label in ids
    # The table and the equation keep their ids, and so their permalinks.
    assert tree.xpath("//table[@id='tbl-loads']//a[@class='headerlink']/@href") == ["#tbl-loads"]
    equation = tree.xpath("//div[@id='equation-eq-difference']")[0]
    assert "math" in equation.get("class")
    assert equation.xpath(".//a[@class='headerlink']/@href") == ["#equation-eq-difference"]
    for reference in ("#tbl-gauges", "#tbl-loads", "#equation-eq-speed", "#fig-wagon"):
        assert reference in tree.xpath("//a/@href")


def test_a_numbered_amsmath_equation_has_the_same_id_in_every_build(out: Path) -> None:
    ids = page(out, "measures").xpath("//div[contains(@class, 'amsmath')]/@id")
    assert ids == ["equation-measures-amsmath-1"]


def test_a_term_link_is_described_by_its_definition(out: Path) -> None:
    for name in ARTICLES:
        tree = page(out, name)
        links = tree.xpath("//a[contains(@class, 'triptych-term')]")
        assert links, name
        described = {}
        for link in links:
            preview = tree.xpath(f"//*[@id='{link.get('aria-describedby')}']")[0]
            assert preview.get("role") == "tooltip"
            assert preview.get("hidden") is not None
            assert not preview.xpath("ancestor::p | ancestor::a")
            assert not link.xpath(".//*[contains(@class, 'preview')]")
            term = link.get("href").split("#")[1]
            described[term] = " ".join(preview.text_content().split())
            assert preview.getparent().get("class").split()[:2] == [
                "triptych-term-previews",
                "no-search",
            ]
        assert described == {term: DEFINITIONS[term] for term in described}
        # One preview per entry on a page, however often the term is linked.
        assert len(tree.xpath("//*[@role='tooltip']")) == len(described)


def test_no_definition_is_in_the_text_of_a_paragraph(out: Path) -> None:
    for name in ARTICLES:
        for paragraph in page(out, name).xpath("//p[a[contains(@class, 'triptych-term')]]"):
            text = " ".join(paragraph.text_content().split())
            for definition in DEFINITIONS.values():
                assert definition not in text
                assert "post-Soviet" not in text


def test_the_search_index_finds_no_definition_in_an_article(out: Path) -> None:
    index = search_index(out / "html")
    english = SearchEnglish({})
    unique_to_definitions = 0
    for name in ARTICLES:
        tree = page(out, name)
        for previews in tree.xpath("//*[contains(@class, 'triptych-term-previews')]"):
            previews.getparent().remove(previews)
        (main,) = tree.xpath("//article[@role='main']")
        prose = {english.stem(word).lower() for word in words(main.text_content())}
        for definition in DEFINITIONS.values():
            for word in words(definition):
                stem = english.stem(word).lower()
                if stem in prose or not english.word_filter(stem):
                    continue
                unique_to_definitions += 1
                assert name not in indexed_documents(index, stem), word
    assert unique_to_definitions > 10
    assert indexed_documents(index, "soviet") == {"glossary"}


def test_the_other_editions_have_no_previews(out: Path) -> None:
    with zipfile.ZipFile(out / "epub" / "site-markup.epub") as archive:
        chapter = archive.read("EPUB/measures.xhtml").decode()
    assert "triptych-term-preview" not in chapter
    assert "aria-describedby" not in chapter
    assert epubcheck_messages(out / "epub" / "site-markup.epub") == []
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(out / "pdf" / "site-markup.pdf").pages
    )
    assert text.count("six post-Soviet states") == 1  # in the glossary only


# --- In a browser -------------------------------------------------------------------------


def open_page(browser: Browser, out: Path, name: str, **options: Any) -> Page:
    context = browser.new_context(viewport=PHONE, **options)
    tab = context.new_page()
    tab.route(re.compile(r"^https?://"), lambda route: route.abort())  # no network
    tab.goto((out / "html" / f"{name}.html").as_uri())
    return tab


def preview_box(tab: Page, link: Any) -> dict[str, float] | None:
    preview = tab.locator(f"#{link.get_attribute('aria-describedby')}")
    return preview.bounding_box() if preview.is_visible() else None


def assert_on_screen(box: dict[str, float] | None) -> None:
    assert box is not None
    assert box["x"] >= 0
    assert box["y"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] + box["height"] <= PHONE["height"]


def test_hover_shows_the_preview_on_a_phone_screen(browser: Browser, out: Path) -> None:
    tab = open_page(browser, out, "measures")
    links = tab.locator("a.triptych-term")
    assert links.count() == 3
    for position in range(links.count()):
        link = links.nth(position)
        assert preview_box(tab, link) is None
        link.hover()
        assert_on_screen(preview_box(tab, link))
        tab.mouse.move(0, PHONE["height"] - 1)
        tab.wait_for_timeout(500)
        assert preview_box(tab, link) is None
    tab.context.close()


def test_focus_shows_the_preview_and_escape_hides_it(browser: Browser, out: Path) -> None:
    tab = open_page(browser, out, "rails")
    for _ in range(100):
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.matches('a.triptych-term')"):
            break
    link = tab.locator(":focus")
    assert_on_screen(preview_box(tab, link))
    tab.keyboard.press("Escape")
    assert preview_box(tab, link) is None
    tab.keyboard.press("Enter")
    tab.wait_for_url("**/glossary.html#term-Gauge")
    tab.context.close()


def test_a_tap_shows_the_preview_and_a_second_tap_follows_the_link(
    browser: Browser, out: Path
) -> None:
    tab = open_page(browser, out, "measures", has_touch=True, is_mobile=True)
    link = tab.locator("a.triptych-term").nth(1)
    link.tap()
    assert_on_screen(preview_box(tab, link))
    assert tab.url.endswith("measures.html")
    tab.locator("h1").tap()
    assert preview_box(tab, link) is None
    link.tap()
    assert_on_screen(preview_box(tab, link))
    link.tap()
    tab.wait_for_url("**/glossary.html#term-CSTO")
    tab.context.close()


def test_the_definition_is_the_links_accessible_description(browser: Browser, out: Path) -> None:
    tab = open_page(browser, out, "measures")
    session = tab.context.new_cdp_session(tab)
    root = session.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    found = session.send("DOM.querySelector", {"nodeId": root, "selector": "a.triptych-term"})
    (node, *_) = session.send(
        "Accessibility.getPartialAXTree", {"nodeId": found["nodeId"], "fetchRelatives": False}
    )["nodes"]
    assert node["role"]["value"] == "link"
    assert node["name"]["value"] == "gauge"
    assert node["description"]["value"] == DEFINITIONS["term-Gauge"]
    tab.context.close()


def test_without_a_script_the_links_work(browser: Browser, out: Path) -> None:
    tab = open_page(browser, out, "measures", java_script_enabled=False)
    link = tab.locator("a.triptych-term").first
    link.hover()
    assert preview_box(tab, link) is None
    link.click()
    tab.wait_for_url("**/glossary.html#term-Gauge")
    tab.context.close()
