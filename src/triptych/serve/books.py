"""The preview's PDF and EPUB, rebuilt in the background while the author goes on writing.

A PDF is laid out whole, so it takes seconds where a page of the site takes
a fraction of one. Each rebuild is a ``triptych build`` of its own process,
into the preview's ``books/`` folder, which publishes both editions together
or leaves the last good ones in place. Saves made while it runs are taken up
by the next one. The PDF's pages are then drawn as images for the preview's
PDF page, which marks those that changed.

The processes are forked from a server that has imported Sphinx, WeasyPrint
and triptych once: importing them takes longer than laying out a short book.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triptych.serve.server import BOOKS_PATH

if TYPE_CHECKING:
    from collections.abc import Callable

#: Page images: small enough to draw quickly, large enough to read a heading.
PAGE_RESOLUTION = 50
#: JPEG, not PNG: pdftoppm draws a page in a fraction of the time it takes to compress it as
#: PNG, and at this size the text reads as well.
PAGE_IMAGE_OPTIONS = ["-jpeg", "-jpegopt", "quality=85"]
#: How many lines of a failed build the preview shows.
SHOWN_LINES = 20
#: What every build imports, imported once by the server the builds are forked from.
PRELOADED_MODULES = [
    "triptych.cli",
    "triptych.builders.pdf",
    "triptych.builders.ebook",
    "weasyprint",
]


def build_in_this_process(argv: list[str], errors_path: str) -> None:
    """Run ``triptych build`` with *argv*; its output on stderr goes to *errors_path*."""
    # A group of its own: a build given up on is ended with the workers it forked.
    os.setpgrp()
    with open(errors_path, "w", encoding="utf-8") as errors:  # noqa: PTH123 (a descriptor is needed)
        os.dup2(errors.fileno(), 2)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    from triptych.cli import build, make_parser

    sys.exit(build(make_parser().parse_args(argv), may_end_process=True))


def build_processes() -> multiprocessing.context.ForkServerContext:
    """Processes forked from a server holding :data:`PRELOADED_MODULES`, started now."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED_MODULES)
    # Started at once, so the first save does not wait for the imports.
    context.Process(target=int).start()
    return context


@dataclass
class BookPreview:
    """Rebuilds the PDF, then the EPUB, of *source* into *outdir* whenever :meth:`request` is called."""

    source: Path
    outdir: Path
    #: Called with the books' state after each edition (and with ``building`` when one starts).
    report: Callable[[dict[str, Any]], None]
    overrides: dict[str, str] = field(default_factory=dict)
    slug: str = "publication"
    _wanted: threading.Event = field(default_factory=threading.Event)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _process: multiprocessing.process.BaseProcess | None = None
    _processes: multiprocessing.context.ForkServerContext | None = None
    _thread: threading.Thread | None = None
    _generation: int = 0
    _page_hashes: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        self._processes = build_processes()
        self._thread = threading.Thread(target=self._work, name="triptych-books", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """Ask for a rebuild: at once if none runs, else as soon as the running one ends."""
        self._wanted.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wanted.set()
        process = self._process
        if process is not None and process.is_alive():
            _end(process)
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _work(self) -> None:
        while True:
            self._wanted.wait()
            if self._stopping.is_set():
                return
            self._wanted.clear()
            # The PDF first: it is what the preview's PDF page shows, and the EPUB is quick.
            for edition in ("pdf", "epub"):
                self.report({**self.state, "building": edition})
                state = self._build(edition)
                if self._stopping.is_set():
                    return
                if state is None:
                    # Given up for a newer save: its PDF comes first, then the EPUB.
                    break
                self.state = state
                self.report(self.state)

    def command(self, edition: str) -> list[str]:
        """The arguments of ``triptych build`` for *edition*."""
        command = ["build", str(self.source)]
        command += ["-o", str(self.outdir), "-f", edition, "-q"]
        # Parts of the PDF whose pages moved are laid out side by side.
        command += ["-j", "auto"]
        for name, value in self.overrides.items():
            command += ["-D", f"{name}={value}"]
        return command

    def _build(self, edition: str) -> dict[str, Any] | None:
        """Build one edition; the state of both, with this one's problems or error.

        An EPUB still building when the author saves again is given up (None): the PDF of
        the new save is what the preview shows first. Ending a build loses nothing: it
        publishes by renames, and the next one starts from what the last finished.
        """
        started = time.perf_counter()
        processes = self._processes or build_processes()
        with tempfile.TemporaryDirectory(prefix="triptych-books-") as folder:
            errors_path = Path(folder, "errors.txt")
            process = processes.Process(
                target=build_in_this_process, args=(self.command(edition), str(errors_path))
            )
            self._process = process
            process.start()
            while process.exitcode is None:
                process.join(timeout=0.05)
                if edition == "epub" and self._wanted.is_set() and process.exitcode is None:
                    _end(process)
                    self._process = None
                    return None
            status = process.exitcode
            self._process = None
            try:
                errors = errors_path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                errors = ""
        seconds = time.perf_counter() - started
        lines = [line.rstrip() for line in errors.splitlines() if line.strip()]
        state: dict[str, Any] = {**self.state, "building": False, "edition": edition}
        state["seconds"] = round(seconds, 3)
        if status != 0:
            # The last good edition stays; the preview says why it is not new.
            state["error"] = lines[-1] if lines else f"the build ended with status {status}"
            state["problems"] = lines[:-1][-SHOWN_LINES:]
            return state
        state["problems"] = lines[-SHOWN_LINES:]
        state["error"] = None
        built = self.outdir / edition / f"{self.slug}.{edition}"
        if edition == "pdf" and built.is_file():
            state["pdf"] = self._pages(built, seconds)
        elif built.is_file():
            state["epub"] = {"url": f"{BOOKS_PATH}epub/{built.name}?v={time.time_ns()}"}
        return state

    def _pages(self, pdf: Path, seconds: float) -> dict[str, Any]:
        """Draw the PDF's pages into a new folder; mark the pages that differ from the last."""
        self._generation += 1
        pages = self.outdir / "pages"
        folder = pages / str(self._generation)
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "pdftoppm",
                *PAGE_IMAGE_OPTIONS,
                "-r",
                str(PAGE_RESOLUTION),
                str(pdf),
                str(folder / "page"),
            ],
            check=False,
            capture_output=True,
        )
        images = sorted(folder.glob("page-*.jpg"))
        hashes = [hashlib.sha256(image.read_bytes()).hexdigest() for image in images]
        previous = self._page_hashes
        if hashes == previous and (shown := self.state.get("pdf")):
            # The same pages again (a save that changed nothing the PDF shows, or one taken
            # up by the build before): the PDF page keeps showing what the last change changed.
            shutil.rmtree(folder, ignore_errors=True)
            self._generation -= 1
            return dict(shown)
        self._page_hashes = hashes
        for older in pages.iterdir():
            if older.name != folder.name:
                shutil.rmtree(older, ignore_errors=True)
        return {
            "url": f"{BOOKS_PATH}pdf/{pdf.name}?v={self._generation}",
            "generation": self._generation,
            "seconds": round(seconds, 3),
            "pages": [
                {
                    "url": f"{BOOKS_PATH}pages/{self._generation}/{image.name}",
                    "changed": bool(previous)
                    and (index >= len(previous) or previous[index] != digest),
                }
                for index, (image, digest) in enumerate(zip(images, hashes, strict=True))
            ],
        }


def _end(process: multiprocessing.process.BaseProcess) -> None:
    """End a build and the workers it forked (its process group)."""
    if process.pid is None:
        return
    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            # Ended before it made its group, or not yet in one of its own.
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signum)
        process.join(timeout=10)
        if not process.is_alive():
            return
