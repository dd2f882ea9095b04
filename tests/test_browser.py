"""The site of docs/ in a real browser: Debian's Chromium, driven by Playwright.

One build of docs/ (all three editions, so that every page links its downloads) is
served on loopback and opened at a desktop and a phone width. Nothing is wider than
the screen and the navigation is reachable; a term's preview shows on hover, on
keyboard focus and on a tap, inside the viewport; the search lists the pages whose
text holds a word, each once, and no other; every download link answers with the
edition's bytes; Furo's dark mode keeps the previews and triptych's own styles
legible; axe-core finds no violation on any page.

``TRIPTYCH_SCREENSHOTS=DIR`` keeps a screenshot of every page at both widths and in
dark mode, to look at.
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import pytest
from lxml import html
from sphinx.search.en import SearchEnglish

from conftest import missing

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page

SLUG = "bound-by-arms"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: A phone on its side with its keyboard open: no room above or below a line for a preview.
SHORT = {"width": 844, "height": 180}
SCREENS = {"desktop": DESKTOP, "phone": PHONE, "short": SHORT}
WIDTHS = ("desktop", "phone")
#: Pages Sphinx writes that are not documents, and so not in the search index.
GENERATED = ("genindex.html", "search.html")
AXE = Path(__file__).parents[1] / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
#: What axe-core checks: WCAG 2.1 A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture(scope="module")
def out(docs_build: Path) -> Path:
    return docs_build


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(out: Path) -> Iterator[str]:
    """The built site over HTTP on loopback, as a host serves it."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(QuietHandler, directory=str(out / "html"))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def pages(out: Path) -> list[str]:
    names = sorted(path.name for path in (out / "html").glob("*.html"))
    assert {"index.html", "glossary.html", "search.html", "alliance.html"} <= set(names)
    return names


@pytest.fixture(scope="session")
def axe_script() -> str:
    path = Path(os.environ.get("TRIPTYCH_AXE_CORE", AXE))
    if not path.is_file():
        missing(f"axe-core ({path}) is not installed; `make test` installs it")
    return path.read_text(encoding="utf-8")


@contextmanager
def tab(browser: Browser, screen: str, **options: Any) -> Iterator[Page]:
    """A page in a fresh context: a phone's screen is a touch screen."""
    if screen == "phone":
        options = {"has_touch": True, "is_mobile": True, **options}
    context = browser.new_context(viewport=SCREENS[screen], **options)
    try:
        page = context.new_page()
        # The site is on loopback; nothing else is fetched.
        page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
        yield page
    finally:
        context.close()


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("TRIPTYCH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"{name}.png")


def page_name(url: str) -> str:
    return Path(urlsplit(url).path).name


#: Resolves once the page has stopped moving: Furo scrolls smoothly to a focused link.
SETTLED = """async () => {
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  let last = "";
  for (let count = 0; count < 120; count += 1) {
    await frame();
    const now = `${scrollX} ${scrollY}`;
    if (now === last) return;
    last = now;
  }
}"""


# --- Layout and navigation -----------------------------------------------------------------


@pytest.mark.parametrize("screen", WIDTHS)
def test_no_page_is_wider_than_the_screen(
    browser: Browser, site: str, pages: list[str], screen: str
) -> None:
    width = SCREENS[screen]["width"]
    with tab(browser, screen) as page:
        for name in pages:
            page.goto(site + name)
            screenshot(page, f"{screen}-{name}")
            # A phone widens its layout to content that overflows: the document's width tells.
            extent = page.evaluate("document.documentElement.scrollWidth")
            assert extent <= width, name
            wide = page.evaluate(
                """(width) => [...document.querySelectorAll("article *")]
                    .filter((e) => e.getBoundingClientRect().right > width
                                   && !e.closest(".table-wrapper, .math-wrapper, .math"))
                    .map((e) => e.tagName + "." + e.className)""",
                width,
            )
            assert wide == [], name


@pytest.mark.parametrize("screen", WIDTHS)
def test_every_page_reaches_every_document_through_the_navigation(
    browser: Browser, site: str, pages: list[str], screen: str
) -> None:
    from playwright.sync_api import expect

    documents = [name for name in pages if name not in GENERATED and name != "index.html"]
    with tab(browser, screen) as page:
        for position, name in enumerate(pages):
            page.goto(site + name)
            navigation = page.locator(".sidebar-tree")
            if screen == "phone":
                # Off the screen, behind the menu button.
                box = navigation.bounding_box()
                assert box is not None
                assert box["x"] + box["width"] <= 0, name
                page.locator("label.nav-overlay-icon").tap()
                page.evaluate(SETTLED)
            others = [document for document in documents if document != name]
            # The drawer slides in: wait for it, then measure every entry at once.
            expect(navigation.locator(f"a[href='{others[-1]}']")).to_be_in_viewport(ratio=1)
            boxes = navigation.locator("a.reference").evaluate_all(
                """(links) => links.map((link) => {
                    const box = link.getBoundingClientRect();
                    const inside = box.left >= 0 && box.top >= 0 && box.right <= innerWidth
                        && box.bottom <= innerHeight;
                    return [link.getAttribute("href"), inside];
                })"""
            )
            reachable = {href for href, inside in boxes if inside}
            assert set(others) <= reachable, (name, boxes)
            # Follow one link a page, each to another document.
            target = documents[position % len(documents)]
            if target == name:
                continue
            link = navigation.locator(f"a[href='{target}']")
            link.tap() if screen == "phone" else link.click()
            page.wait_for_url(f"**/{target}")


# --- Term previews -------------------------------------------------------------------------


#: Where the preview of a link is once the page has settled: ``null`` when it is not shown.
PREVIEW_BOX = """async (id) => {
  await (SETTLED)();
  const preview = document.getElementById(id);
  if (preview === null || preview.hidden) return null;
  const box = preview.getBoundingClientRect();
  const shown = document.querySelectorAll("[role='tooltip']:not([hidden])").length;
  return {left: box.left, top: box.top, right: box.right, bottom: box.bottom, shown};
}""".replace("SETTLED", SETTLED)


def assert_inside(page: Page, preview_id: str, screen: str) -> None:
    """The preview is shown, alone, and wholly inside the viewport."""
    box = page.evaluate(PREVIEW_BOX, preview_id)
    assert box is not None, preview_id
    viewport = SCREENS[screen]
    assert box["left"] >= 0, box
    assert box["top"] >= 0, box
    assert box["right"] <= viewport["width"], box
    assert box["bottom"] <= viewport["height"], box
    assert box["shown"] == 1, box


def preview_ids(page: Page) -> list[str]:
    """The preview each term link of the page names, in the order of the links."""
    return [
        str(id_)
        for id_ in page.locator("a.triptych-term").evaluate_all(
            "(links) => links.map((link) => link.getAttribute('aria-describedby'))"
        )
    ]


def term_pages(out: Path, pages: list[str]) -> dict[str, int]:
    """The pages that link terms, with the number of term links on each."""
    counts = {
        name: len(html.parse(str(out / "html" / name)).xpath("//a[@aria-describedby]"))
        for name in pages
    }
    found = {name: count for name, count in counts.items() if count}
    assert len(found) >= 4
    return found


def test_hover_shows_each_preview_inside_the_screen(
    browser: Browser, out: Path, site: str, pages: list[str]
) -> None:
    """With a mouse, on a desktop screen (a phone has no pointer to hover with)."""
    with tab(browser, "desktop") as page:
        for name in term_pages(out, pages):
            page.goto(site + name)
            links = page.locator("a.triptych-term")
            for position, preview in enumerate(preview_ids(page)):
                links.nth(position).hover()
                assert_inside(page, preview, "desktop")
                page.keyboard.press("Escape")
                assert page.evaluate(PREVIEW_BOX, preview) is None


def test_keyboard_focus_shows_each_preview_inside_the_screen(
    browser: Browser, out: Path, site: str, pages: list[str]
) -> None:
    """With the Tab key, on a desktop screen; on a phone, a tap (and the short screen below)."""
    screen = "desktop"
    with tab(browser, screen) as page:
        for name, count in term_pages(out, pages).items():
            page.goto(site + name)
            seen = 0
            for _ in range(400):
                page.keyboard.press("Tab")
                # Each term link counted once, when focus first reaches it.
                preview = page.evaluate(
                    """() => {
                        const link = document.activeElement;
                        if (!link.matches("a.triptych-term") || link.dataset.seen) return null;
                        link.dataset.seen = "1";
                        return link.getAttribute("aria-describedby");
                    }"""
                )
                if preview is not None:
                    seen += 1
                    assert_inside(page, preview, screen)
                if seen == count:
                    break
            assert seen == count, name


def test_a_tap_shows_each_preview_inside_the_phone_screen(
    browser: Browser, out: Path, site: str, pages: list[str]
) -> None:
    with tab(browser, "phone") as page:
        for name in term_pages(out, pages):
            page.goto(site + name)
            links = page.locator("a.triptych-term")
            for position, preview in enumerate(preview_ids(page)):
                links.nth(position).tap()
                assert_inside(page, preview, "phone")
            assert page_name(page.url) == name  # a first tap previews, it does not follow


def test_on_a_short_screen_each_preview_stays_inside_it(
    browser: Browser, out: Path, site: str, pages: list[str]
) -> None:
    with tab(browser, "short", has_touch=True, is_mobile=True) as page:
        for name in term_pages(out, pages):
            page.goto(site + name)
            for position, preview in enumerate(preview_ids(page)):
                page.evaluate(
                    """(position) => {
                        const link = document.querySelectorAll("a.triptych-term")[position];
                        link.scrollIntoView({block: "center", behavior: "instant"});
                        link.focus();
                    }""",
                    position,
                )
                assert_inside(page, preview, "short")


# --- Search --------------------------------------------------------------------------------

ENGLISH = SearchEnglish({})


def stems(text: str) -> set[str]:
    return {
        ENGLISH.stem(word).lower()
        for word in re.findall(r"\w+", text)
        if ENGLISH.word_filter(word.lower()) and not word.isdigit()
    }


@pytest.fixture(scope="module")
def page_stems(out: Path, pages: list[str]) -> dict[str, set[str]]:
    """The stemmed words of each document's own text: its article, less the page's furniture."""
    found = {}
    for name in pages:
        if name in GENERATED:
            continue
        tree = html.parse(str(out / "html" / name))
        (article,) = tree.xpath("//article[@role='main']")
        for extra in article.xpath(
            ".//*[contains(@class, 'triptych-term-previews')]"
            " | .//*[contains(@class, 'triptych-downloads')]"
        ):
            extra.getparent().remove(extra)
        found[name] = stems(article.text_content())
    return found


@pytest.fixture(scope="module")
def preview_stems(out: Path, pages: list[str]) -> set[str]:
    """The stemmed words of the definitions that article pages carry as previews."""
    found: set[str] = set()
    for name in pages:
        for preview in html.parse(str(out / "html" / name)).xpath("//*[@role='tooltip']"):
            if name != "glossary.html":
                found |= stems(preview.text_content())
    assert found
    return found


def search(page: Page, site: str, query: str) -> list[str]:
    """The pages Sphinx's search lists for *query*, in order, with their anchors."""
    page.goto(site + "search.html?" + urlencode({"q": query}))
    page.wait_for_function(
        "() => /finished|did not match/.test("
        "document.querySelector('#search-results .search-summary')?.textContent ?? '')"
    )
    return [str(href) for href in page.locator("#search-results li > a").evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))"
    )]  # fmt: skip


def queries(page_stems: dict[str, set[str]], preview_stems: set[str]) -> dict[str, set[str]]:
    """Words to search for, each with the pages that hold it.

    A word of each document found in no other; words of the glossary's definitions
    found in no article, though the pages that link their terms carry them as
    previews; and the words of the download line, on every page but in no article.
    """
    everything = set().union(*page_stems.values())

    def holders(stem: str) -> set[str]:
        return {name for name, found in page_stems.items() if stem in found}

    def unambiguous(stem: str) -> bool:
        # Sphinx's search also matches a word inside another, when it is not a word itself.
        return len(stem) >= 5 and not any(stem in other != stem for other in everything)

    chosen: dict[str, set[str]] = {}
    for name in sorted(page_stems):
        own = sorted(s for s in page_stems[name] if holders(s) == {name} and unambiguous(s))
        assert own, name
        chosen[own[0]] = {name}
    previewed = sorted(
        s for s in preview_stems if holders(s) == {"glossary.html"} and unambiguous(s)
    )
    assert len(previewed) >= 3
    for stem in previewed[:: len(previewed) // 3][:3]:
        chosen[stem] = {"glossary.html"}
    for word in ("download", "EPUB"):
        chosen[word] = holders(ENGLISH.stem(word).lower())
    return chosen


def test_search_lists_each_page_holding_a_word_once_and_no_other(
    browser: Browser, site: str, page_stems: dict[str, set[str]], preview_stems: set[str]
) -> None:
    with tab(browser, "desktop") as page:
        for query, holders in queries(page_stems, preview_stems).items():
            found = [page_name(href) for href in search(page, site, query)]
            assert sorted(found) == sorted(holders), query


def test_search_lists_no_page_twice(browser: Browser, out: Path, site: str) -> None:
    """A glossary term, and an entry of the index, match a page as well as its text."""
    glossary = html.parse(str(out / "html" / "glossary.html"))
    terms = [
        " ".join(term.text_content().strip("\u00b6").split()) for term in glossary.xpath("//dl/dt")
    ]
    index = html.parse(str(out / "html" / "genindex.html"))
    entries = [
        str(entry.xpath("normalize-space((./text()[normalize-space()] | ./a)[1])"))
        for entry in index.xpath("//table[contains(@class, 'indextable')]//td/ul/li")
    ]
    entries = [entry for entry in entries if entry not in terms]
    assert len(terms) > 10
    assert len(entries) > 3
    with tab(browser, "desktop") as page:
        # Every other term, and every entry of the index that is not a term.
        for query in [*terms[::2], *entries]:
            found = search(page, site, query)
            names = [page_name(href) for href in found]
            assert len(names) == len(set(names)), (query, found)
            if query in terms:
                assert names.count("glossary.html") == 1, (query, found)
                assert (
                    f"glossary.html#{glossary.xpath('//dl/dt')[terms.index(query)].get('id')}"
                    in found
                )
        screenshot(page, "desktop-search")


# --- Downloads -----------------------------------------------------------------------------


def test_every_download_link_answers_with_the_editions_bytes(
    browser: Browser, out: Path, site: str, pages: list[str]
) -> None:
    editions = {
        f"{SLUG}.pdf": (out / "pdf" / f"{SLUG}.pdf", "application/pdf"),
        f"{SLUG}.epub": (out / "epub" / f"{SLUG}.epub", "application/epub+zip"),
    }
    for article in (out / "pdf" / "articles").glob("*.pdf"):
        editions[f"articles/{article.name}"] = (article, "application/pdf")
    answered = set()
    with tab(browser, "desktop") as page:
        for name in pages:
            page.goto(site + name)
            hrefs = page.locator(".triptych-downloads a").evaluate_all(
                "(links) => links.map((a) => a.href)"
            )
            if name not in GENERATED:
                assert len(hrefs) >= 2, name
            for href in hrefs:
                relative = href.removeprefix(site).removeprefix("_downloads/")
                path, media_type = editions[relative]
                response = page.request.get(href)
                assert response.status == 200, href
                assert response.headers["content-type"] == media_type, href
                assert response.body() == path.read_bytes(), href
                answered.add(relative)
        # A click on the PDF downloads it, or opens it, as a browser does with a PDF.
        page.goto(site + "index.html")
        with page.expect_download() as download:
            page.locator(".triptych-downloads a[href$='.epub']").click()
        assert Path(download.value.path()).read_bytes() == editions[f"{SLUG}.epub"][0].read_bytes()
    assert answered == set(editions)


# --- Dark mode and accessibility -----------------------------------------------------------

#: The contrast ratio of two sRGB colours, computed as WCAG 2 defines it.
CONTRAST = """
(element) => {
  const rgb = (color) => color.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = (color) => {
    const [r, g, b] = rgb(color).map((c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  let back = element;
  while (back && getComputedStyle(back).backgroundColor.match(/rgba\\(.*, 0\\)$/))
    back = back.parentElement;
  const front = luminance(getComputedStyle(element).color);
  const behind = luminance(getComputedStyle(back || document.body).backgroundColor);
  return (Math.max(front, behind) + 0.05) / (Math.min(front, behind) + 0.05);
}
"""


def run_axe(page: Page, axe_script: str, **options: Any) -> list[str]:
    page.add_script_tag(content=axe_script)
    violations = page.evaluate(
        """async (options) => (await axe.run(document, options)).violations
            .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)""",
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, **options},
    )
    return [str(violation) for violation in violations]


#: What dark mode changes: colours only.
COLOUR_RULES = {"type": "rule", "values": ["color-contrast", "link-in-text-block"]}


@pytest.mark.parametrize(
    "look", [f"{screen}-{scheme}" for screen in WIDTHS for scheme in ("light", "dark")]
)
def test_axe_finds_no_violation_on_any_page(
    browser: Browser, site: str, pages: list[str], axe_script: str, look: str
) -> None:
    """Every rule in the light; in the dark, the rules of colour, which is all it changes."""
    screen, scheme = look.split("-")
    options = {"runOnly": COLOUR_RULES} if scheme == "dark" else {}
    found = {}
    with tab(browser, screen, color_scheme=scheme) as page:
        for name in pages:
            page.goto(site + name)
            violations = run_axe(page, axe_script, **options)
            if violations:
                found[name] = violations
    assert found == {}


def test_dark_mode_keeps_previews_and_the_sites_styles_legible(
    browser: Browser, out: Path, site: str, pages: list[str], axe_script: str
) -> None:
    with tab(browser, "phone", color_scheme="dark") as page:
        for name in term_pages(out, pages):
            page.goto(site + name)
            # Furo follows the system's dark mode: the page is dark, its text light.
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert max(map(int, re.findall(r"\d+", background)[:3])) < 80, background
            assert page.locator("article p").first.evaluate(CONTRAST) >= 7, name
            links = page.locator("a.triptych-term")
            link = links.nth(links.count() // 2)
            link.tap()
            preview_id = str(link.get_attribute("aria-describedby"))
            assert_inside(page, preview_id, "phone")
            preview = page.locator(f"[id='{preview_id}']")
            assert preview.evaluate(CONTRAST) >= 7, name
            screenshot(page, f"dark-{name}")
            # With a preview open: every colour on the page, the site's own included, legible.
            assert run_axe(page, axe_script, runOnly=COLOUR_RULES) == [], name
