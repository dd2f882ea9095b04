"""What ``triptych build`` shows: a progress bar per phase, each problem once, long lists grouped.

Sphinx's log is written for one builder and repeats itself once per
edition. The command hands Sphinx these streams instead: :class:`PhaseLog`
keeps the name of each phase (on a terminal, one line that updates itself
with a progress bar, counting the pages WeasyPrint lays out; plain lines
otherwise) and :class:`ProblemLog` prints each warning or error once,
however many editions meet it, and groups long runs of one kind.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Control sequences Sphinx writes on a terminal: colours, and erasing the line it rewrites.
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: "reading sources... [ 17%] alliance", "writing article PDFs [100%] glossary".
PROGRESS = re.compile(r"^(?P<phase>[^\[]*?)(?:\.\.\.)?\s*\[\s*(?P<percent>\d+)%\]")
#: The long phases of triptych's own builders, which show no progress percentage.
LONG_PHASE = re.compile(r"^(?P<phase>laying out the PDF|writing the EPUB)\.\.\.")
#: "building [pdf]: all source files"
BUILDING = re.compile(r"^building \[(?P<builder>\w+)\]")
EDITION_OF_BUILDER = {"pdf": "pdf", "ebook": "epub", "html": "html", "dirhtml": "html"}
#: "file:line: WARNING: message [type.subtype]"
PROBLEM = re.compile(r"^(?P<location>.*?): (?P<level>WARNING|ERROR|CRITICAL): (?P<message>.*)$")
EMPTY_LINE_NUMBER = re.compile(r"^(?P<path>\S[^:]*?):: (?P<level>WARNING|ERROR|CRITICAL):")
#: How many problems of one kind are shown before the rest are counted.
SHOWN_OF_A_KIND = 10
#: WeasyPrint's account of its layout: "Step 5 - Creating layout - Page 12".
LAID_OUT_PAGE = re.compile(r"Creating layout - Page (?P<page>\d+)")
#: Characters of a progress bar.
BAR_WIDTH = 24


class _LineStream(io.TextIOBase):
    """A text stream that hands over whole lines; Sphinx writes pieces."""

    def __init__(self) -> None:
        super().__init__()
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += ANSI.sub("", text).replace("\r", "\n")
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self.line(line)
        return len(text)

    def line(self, line: str) -> None:
        """Take one whole line; each stream decides what to show of it."""

    def flush_pending(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, ""
            self.line(pending)


def bar(fraction: float, *, unicode: bool = True) -> str:
    """``[██████░░░░░░]``: *fraction* (0 to 1) of :data:`BAR_WIDTH` filled."""
    done = round(max(0.0, min(1.0, fraction)) * BAR_WIDTH)
    full, empty = ("█", "░") if unicode else ("#", "-")
    return f"[{full * done}{empty * (BAR_WIDTH - done)}]"


class PhaseLog(_LineStream):
    """One line per phase of each edition: ``pdf: laying out the PDF``."""

    def __init__(self, out: TextIO, *, terminal: bool) -> None:
        super().__init__()
        self.out = out
        self.terminal = terminal
        self.edition = ""
        self.phase = ""
        self._line_open = False
        #: Pages of the layout before: what the next layout is counted against.
        self._pages_before = 0
        self._pages = 0
        encoding = (getattr(out, "encoding", None) or "ascii").lower()
        self._unicode = encoding.replace("-", "") in {"utf8", "utf16", "utf32"}

    def _show(self, text: str) -> None:
        width = shutil.get_terminal_size().columns - 1
        self.out.write(f"\r\x1b[K{text[:width]}")
        self.out.flush()
        self._line_open = True

    def line(self, line: str) -> None:
        line = line.strip()
        if building := BUILDING.match(line):
            self.edition = EDITION_OF_BUILDER.get(building["builder"], building["builder"])
            return
        progress = PROGRESS.match(line)
        long_phase = LONG_PHASE.match(line)
        named = progress or long_phase
        phase = (named["phase"] if named else "").strip().rstrip(".").strip()
        if not phase or not self.edition:
            return
        if self.terminal:
            if progress:
                percent = int(progress["percent"])
                meter = f" {bar(percent / 100, unicode=self._unicode)} {percent:3d}%"
            else:
                meter = ""
            self._show(f"{self.edition}: {phase}{meter}")
        elif phase != self.phase:
            self.out.write(f"{self.edition}: {phase}\n")
            self.out.flush()
        self.phase = phase

    def laid_out(self, page: int) -> None:
        """WeasyPrint began page *page* of a layout: count it against the layout before."""
        if page == 1 and self._pages:
            self._pages_before = self._pages
        self._pages = page
        if not self.terminal:
            return
        # Sphinx has not ended the line that names the phase yet: it is this one.
        phase = "laying out the PDF"
        if self._pages_before:
            total = max(self._pages_before, page)
            meter = f" {bar(page / total, unicode=self._unicode)} page {page} of {total}"
        else:
            meter = f" page {page}"
        self._show(f"{self.edition or 'pdf'}: {phase}{meter}")

    @contextmanager
    def counting_pages(self) -> Iterator[None]:
        """While the block runs, the pages WeasyPrint lays out in this process are counted."""
        progress = logging.getLogger("weasyprint.progress")
        handler = _LayoutProgress(self)
        level, propagate = progress.level, progress.propagate
        progress.addHandler(handler)
        progress.setLevel(logging.INFO)
        # Its steps are for this line only: nothing else reports them.
        progress.propagate = False
        try:
            yield
        finally:
            progress.removeHandler(handler)
            progress.setLevel(level)
            progress.propagate = propagate

    def close_line(self) -> None:
        """End the updating line, so what follows starts on its own."""
        if self._line_open:
            self.out.write("\r\x1b[K")
            self.out.flush()
            self._line_open = False


class _LayoutProgress(logging.Handler):
    """Hands WeasyPrint's "Creating layout - Page N" to the phase line."""

    def __init__(self, phases: PhaseLog) -> None:
        super().__init__(logging.INFO)
        self.phases = phases

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a message WeasyPrint formats badly is no page
            return
        if page := LAID_OUT_PAGE.search(message):
            self.phases.laid_out(int(page["page"]))


@dataclass
class ProblemLog(_LineStream):
    """Each problem once; past :data:`SHOWN_OF_A_KIND` warnings of one kind, a count instead."""

    out: TextIO
    verbose: bool = False
    phases: PhaseLog | None = None
    seen: set[str] = field(default_factory=set)
    kinds: dict[str, int] = field(default_factory=dict)
    held_back: dict[str, tuple[int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _LineStream.__init__(self)

    def line(self, line: str) -> None:
        # Sphinx writes "file::" for a node it knows no line of: the file alone is the place.
        line = EMPTY_LINE_NUMBER.sub(r"\g<path>: \g<level>:", line)
        if not line.strip() or line in self.seen:
            return
        self.seen.add(line)
        kind = problem_kind(line)
        shown = self.kinds.get(kind, 0)
        self.kinds[kind] = shown + 1
        # Errors stop the build: each is shown. Warnings of one kind are counted past a few.
        if shown >= SHOWN_OF_A_KIND and not self.verbose and not kind.startswith("ERROR"):
            count, example = self.held_back.get(kind, (0, line))
            self.held_back[kind] = (count + 1, example)
            return
        if self.phases is not None:
            self.phases.close_line()
        self.out.write(line + "\n")
        self.out.flush()

    def summary(self) -> list[str]:
        """A line for each kind of problem held back."""
        return [
            f"... and {count} more like this: {kind} (--verbose shows them all)"
            for kind, (count, _example) in self.held_back.items()
        ]


#: The ``[type.subtype]`` a Sphinx warning ends with.
WARNING_TYPE = re.compile(r"\[[\w.-]+\]$")


def problem_kind(line: str) -> str:
    """A problem's kind: its level and type, or its message with what names the instance left out."""
    match = PROBLEM.match(line)
    message = match["message"] if match else line
    level = match["level"] if match else ""
    if typed := WARNING_TYPE.search(message):
        return f"{level}: {typed.group()}"
    message = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`|\S*/\S*|\d+", "…", message)
    return f"{level}: {message}".strip(": ")
