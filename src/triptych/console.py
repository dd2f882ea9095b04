"""What ``triptych build`` shows: one status line per phase, each problem once, long lists grouped.

Sphinx's log is written for one builder and repeats itself once per
edition. The command hands Sphinx these streams instead: :class:`PhaseLog`
keeps the name of each phase (a line that updates itself on a terminal,
plain lines otherwise) and :class:`ProblemLog` prints each warning or error
once, however many editions meet it, and groups long runs of one kind.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import TextIO

#: Colour codes Sphinx adds on a terminal.
ANSI = re.compile(r"\x1b\[[0-9;]*m")
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


class PhaseLog(_LineStream):
    """One line per phase of each edition: ``pdf: laying out the PDF``."""

    def __init__(self, out: TextIO, *, terminal: bool) -> None:
        super().__init__()
        self.out = out
        self.terminal = terminal
        self.edition = ""
        self.phase = ""
        self._line_open = False

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
            percent = f" {progress['percent']}%" if progress else ""
            self.out.write(f"\r\x1b[K{self.edition}: {phase}{percent}")
            self._line_open = True
        elif phase != self.phase:
            self.out.write(f"{self.edition}: {phase}\n")
        self.phase = phase
        self.out.flush()

    def close_line(self) -> None:
        """End the updating line, so what follows starts on its own."""
        if self._line_open:
            self.out.write("\r\x1b[K")
            self.out.flush()
            self._line_open = False


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
        line = EMPTY_LINE_NUMBER.sub(r"\g<path>: \g<level>", line)
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
