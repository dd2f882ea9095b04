"""``triptych serve``: a live preview of the three editions while the author writes.

Three parts, each in its thread: the :class:`~triptych.serve.server.PreviewServer`
answers the browser; a watcher (``watchfiles``) notes saves; this module's
loop, in the main thread, rebuilds the site in place
(:class:`~triptych.serve.site.SitePreview`) and asks
:class:`~triptych.serve.books.BookPreview` for a new PDF and EPUB, built in a
process of their own. Everything goes into a preview folder of its own, never
where ``triptych build`` publishes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import shutil
import threading
import webbrowser
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from watchfiles import Change

#: Folders inside a source that hold builds, not sources: a save there is not an edit.
BUILD_FOLDERS = ("build", "_build")
#: How long after the last of a burst of saves the rebuild starts, in milliseconds.
SETTLE_MS = 50


@dataclass(frozen=True)
class ServeOptions:
    """What ``triptych serve`` takes on its command line."""

    host: str = "127.0.0.1"
    port: int = 8000
    open_browser: bool = False
    #: Where the preview is built; ``None`` for a folder of the user's cache named after the source.
    preview_dir: Path | None = None
    #: Build the PDF and the EPUB as well as the site.
    books: bool = True


#: The size of the preview PDF's parts, in pages (``triptych_pdf_part_pages``).
PREVIEW_PART_PAGES = 4


def preview_folder(source: Path) -> Path:
    """The preview's own folder for *source*: in the user's cache, never beside the editions."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(source).encode()).hexdigest()[:12]
    return cache / "triptych" / "serve" / f"{source.name or 'source'}-{digest}"


def serve(
    source: Path,
    options: ServeOptions,
    events: Callable[[str, dict[str, Any]], None],
    *,
    stop: threading.Event | None = None,
) -> int:
    """Preview *source* until interrupted (or *stop* is set); returns the exit status.

    *events* is told what happens: ``listening`` (the URL), ``site`` and
    ``books`` (the state of each build, as the pages are told it). Raises
    ``OSError`` when the port cannot be listened on.
    """
    # watchfiles logs every change it sees; the preview says what it rebuilt instead.
    logging.getLogger("watchfiles").setLevel(logging.WARNING)
    preview = _Preview(source.resolve(), options, events, stop or threading.Event())
    try:
        preview.run()
    except KeyboardInterrupt:
        pass
    finally:
        preview.close()
    return 0


class _Preview:
    """The preview's main loop: a save rebuilds the site, then asks for new books."""

    def __init__(
        self,
        source: Path,
        options: ServeOptions,
        events: Callable[[str, dict[str, Any]], None],
        stop: threading.Event,
    ) -> None:
        from triptych.serve.books import BookPreview
        from triptych.serve.server import PreviewServer
        from triptych.serve.site import SitePreview

        self.source, self.options, self.events, self.stop = source, options, events, stop
        self.folder = (options.preview_dir or preview_folder(source)).resolve()
        self.site_dir, self.books_dir = self.folder / "html", self.folder / "books"
        self.site_dir.mkdir(parents=True, exist_ok=True)
        self.books_dir.mkdir(parents=True, exist_ok=True)
        # The site offers the PDF and EPUB the preview builds; article PDFs are left to
        # triptych build, as they would double the time a new PDF takes.
        overrides: dict[str, Any] = {
            **_overrides(source),
            "triptych_editions_dir": str(self.books_dir),
            "triptych_article_pdfs": False,
        }
        self.site = SitePreview(source, self.site_dir, self.folder / "doctrees", overrides)
        self.work: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.books = BookPreview(
            source,
            self.books_dir,
            report=lambda state: self.work.put(("books", state)),
            # Untagged: tagging costs a third of the layout and changes nothing one sees.
            # Parts of a chapter or so: an edit lays out little more than its chapter.
            overrides={
                "triptych_article_pdfs": "0",
                "triptych_pdf_variant": "",
                "triptych_pdf_part_pages": str(PREVIEW_PART_PAGES),
            },
        )
        self.server = PreviewServer(
            self.site_dir, self.books_dir, host=options.host, port=options.port
        )
        self.pages_link_books = False

    def run(self) -> None:
        from watchfiles import DefaultFilter

        self.server.start()
        self.events("listening", {"url": self.server.url, "preview": str(self.folder)})
        if self.options.open_browser:
            webbrowser.open(self.server.url)
        self._site()
        self.books.slug = self.site.slug or _fallback_slug(self.source)
        if self.options.books:
            self.books.start()
            self.books.request()
        ignored = [str(self.folder), *(str(self.source / name) for name in BUILD_FOLDERS)]
        threading.Thread(
            target=_watch,
            args=(self.source, DefaultFilter(ignore_paths=ignored), self.work, self.stop),
            name="triptych-watch",
            daemon=True,
        ).start()
        while not self.stop.is_set():
            try:
                kind, item = self.work.get(timeout=0.2)
            except queue.Empty:
                continue
            if kind == "changes":
                # The books first: their build runs in its own process, on the other core,
                # while the site is rebuilt here.
                if self.options.books:
                    self.books.request()
                self._site(item)
            elif kind == "books":
                self._books(item)
            elif kind == "stopped":
                break

    def close(self) -> None:
        self.stop.set()
        self.books.stop()
        self.server.stop()
        self.site.close()

    def _site(
        self, changes: set[tuple[Change, str]] | None = None, *, everything: bool = False
    ) -> None:
        restart = any(Path(path).name == "conf.py" for _change, path in changes or ())
        built = self.site.rebuild(restart=restart, force_all=everything)
        # The first build has no page open yet; later, pages reload if any was written.
        later = changes is not None or everything
        self.server.update("site", built.state(), reload=later and bool(built.written))
        self.events("site", built.state())

    def _books(self, state: dict[str, Any]) -> None:
        if not state.get("building") and state.get("edition") == "epub" and state.get("pdf"):
            if not self.pages_link_books:
                # The first PDF and EPUB: every page gets its download links.
                self.pages_link_books = True
                self._site(everything=True)
            else:
                _copy_downloads(self.books_dir, self.site_dir, self.books.slug)
        self.server.update("books", state)
        self.events("books", state)


def _fallback_slug(source: Path) -> str:
    from triptych.config import slugify

    return slugify(source.name)


def _watch(
    source: Path, watch_filter: Any, work: queue.Queue[tuple[str, Any]], stop: threading.Event
) -> None:
    from watchfiles import watch

    for changes in watch(
        source, watch_filter=watch_filter, stop_event=stop, step=SETTLE_MS, raise_interrupt=False
    ):
        work.put(("changes", changes))
    work.put(("stopped", None))


def _overrides(source: Path) -> dict[str, Any]:
    """The settings ``triptych build`` gives a folder without ``conf.py``."""
    if (source / "conf.py").is_file():
        return {}
    from triptych.apparatus.citations import zero_config_overrides
    from triptych.config import default_overrides

    return zero_config_overrides(source) | default_overrides(source)


def _copy_downloads(books: Path, site: Path, slug: str) -> None:
    """The site's download links are to its own copies: they follow each new PDF and EPUB."""
    downloads = site / "_downloads"
    for folder, suffix in (("pdf", ".pdf"), ("epub", ".epub")):
        built = books / folder / f"{slug}{suffix}"
        if built.is_file() and downloads.is_dir():
            partial = downloads / f".{slug}{suffix}.partial"
            shutil.copyfile(built, partial)
            partial.replace(downloads / built.name)
