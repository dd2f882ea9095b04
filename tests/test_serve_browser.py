"""``triptych serve`` in a real browser: an edited article reloads, its problems show, the PDF updates."""

from __future__ import annotations

import io
import queue
import re
import threading
from typing import TYPE_CHECKING, Any

import pytest
from pypdf import PdfReader

from triptych.scaffold import create
from triptych.serve import ServeOptions, serve

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from playwright.sync_api import Browser, Page

#: Milliseconds a rebuild may take on a busy machine.
PATIENCE_MS = 60_000


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A new publication, previewed with its PDF and EPUB: (source, url)."""
    work = tmp_path_factory.mktemp("serve-browser")
    source = work / "book"
    create(source, title="Field Notes", author="Ada Byron")
    events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
    stop = threading.Event()
    thread = threading.Thread(
        target=serve,
        args=(
            source,
            ServeOptions(port=0, preview_dir=work / "preview"),
            lambda kind, state: events.put((kind, state)),
        ),
        kwargs={"stop": stop},
        daemon=True,
    )
    thread.start()
    kind, listening = events.get(timeout=PATIENCE_MS / 1000)
    assert kind == "listening"
    while events.get(timeout=PATIENCE_MS / 1000)[0] != "site":
        pass
    yield source, listening["url"]
    stop.set()
    thread.join(timeout=30)


def open_preview(browser: Browser, url: str) -> Page:
    tab = browser.new_context().new_page()
    # Nothing but the preview is reached.
    tab.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
    tab.goto(url)
    tab.wait_for_function("window.triptychPreviewConnected === true", timeout=PATIENCE_MS)
    return tab


def test_an_edited_article_reloads_in_the_browser(
    browser: Browser, served: tuple[Path, str]
) -> None:
    source, url = served
    tab = open_preview(browser, url + "writing.html")
    assert tab.locator("h1").first.inner_text().startswith("Writing an article")
    tab.evaluate("window.notReloaded = true")
    article = source / "writing.md"
    article.write_text(article.read_text() + "\nThis sentence was typed a moment ago.\n")
    paragraph = tab.get_by_text("This sentence was typed a moment ago.")
    paragraph.wait_for(timeout=PATIENCE_MS)
    # The page was loaded again, not patched.
    assert tab.evaluate("window.notReloaded === undefined")
    tab.context.close()


def test_a_problem_shows_on_the_page_until_it_is_fixed(
    browser: Browser, served: tuple[Path, str]
) -> None:
    source, url = served
    tab = open_preview(browser, url + "sharing.html")
    article = source / "sharing.md"
    original = article.read_text()
    article.write_text(original + "\nSee {ref}`a-section-nobody-wrote`.\n")
    overlay = tab.locator("#triptych-preview-problems")
    overlay.wait_for(state="visible", timeout=PATIENCE_MS)
    assert "a-section-nobody-wrote" in overlay.inner_text()
    assert "sharing.md:" in overlay.inner_text()
    article.write_text(original)
    tab.wait_for_function(
        "!document.querySelector('#triptych-preview-problems:not([hidden])')",
        timeout=PATIENCE_MS,
    )
    tab.context.close()


def test_the_pdf_page_shows_the_pages_as_they_change(
    browser: Browser, served: tuple[Path, str]
) -> None:
    source, url = served
    tab = open_preview(browser, url + "_triptych/pdf")
    tab.wait_for_function(
        "document.querySelectorAll('#pages img').length >= 8", timeout=PATIENCE_MS
    )
    first = int(tab.evaluate("document.documentElement.dataset.generation"))
    # Every page is drawn.
    tab.wait_for_function(
        "[...document.querySelectorAll('#pages img')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=PATIENCE_MS,
    )
    article = source / "sharing.md"
    article.write_text(article.read_text() + "\nA line the PDF shows next.\n")
    # A rebuild asked for before the edit may still come first: wait for the PDF with the line.
    seen = first
    while True:
        tab.wait_for_function(
            f"Number(document.documentElement.dataset.generation) > {seen}", timeout=PATIENCE_MS
        )
        seen = int(tab.evaluate("document.documentElement.dataset.generation"))
        link = tab.locator("#pdf-link").get_attribute("href") or ""
        assert link.startswith("/_triptych/books/pdf/field-notes.pdf")
        response = tab.request.get(url + link.lstrip("/"))
        assert response.ok
        pages = PdfReader(io.BytesIO(response.body())).pages
        text = " ".join(" ".join(page.extract_text() for page in pages).split())
        if "A line the PDF shows next." in text:
            break
    # The page the line went on is marked as changed; the pages before it are not.
    changed = tab.evaluate("document.documentElement.dataset.changed").split()
    assert changed and "1" not in changed
    tab.context.close()
