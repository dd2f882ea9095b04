"""Checks on an article's text before it is parsed, for mistakes the parser would swallow.

A code fence or directive left open at the end of a file silently turns the
rest of the file into its content; bytes that are not UTF-8 stop Sphinx with
a traceback that names no file. Both become one line with the file and line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.util import logging

from triptych.diagnostics import Subtype, TriptychError, error, warn
from triptych.safety.directives import max_article_bytes
from triptych.safety.paths import file_refusal

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*(\n|\Z)", re.DOTALL)
#: Characters no edition can carry (XML forbids them, fonts have no glyph): C0 controls other
#: than tab, line feed and carriage return, DEL, C1 controls, and the noncharacters U+FFFE/F.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")


class SourceError(TriptychError):
    category = "unreadable source"


def unclosed_fence(text: str) -> tuple[int, str] | None:
    """(line, fence) of a fence still open at the end of *text*, as CommonMark reads it."""
    opened: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if match is None:
            continue
        fence = match["fence"]
        if opened is None:
            # Only fences at the margin: an indented one may close a fence that opened on
            # a list item's line ("1. ```"), which this line-by-line reading does not see.
            if line.startswith(fence):
                opened = (number, fence)
        elif (
            fence[0] == opened[1][0] and len(fence) >= len(opened[1]) and not match["info"].strip()
        ):
            opened = None
    return opened


def _check_articles(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Refuse articles that are not regular files inside the source folder, too large, or not text."""
    limit = max_article_bytes(app.config)
    _leave_out_linked(env, docnames)
    for docname in docnames:
        path = Path(env.doc2path(docname))
        if reason := file_refusal(path, (Path(env.srcdir),), limit):
            hint = " (triptych_max_article_mb)" if "over the limit" in reason else ""
            raise SourceError(reason + hint, location=f"{path}:1")
        data = path.read_bytes()
        try:
            data.decode(app.config.source_encoding or "utf-8")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            msg = f"bytes that are not {error.encoding} at byte {error.start}: {error.reason}"
            raise SourceError(msg, location=f"{path}:{line}") from None


def _leave_out_linked(env: BuildEnvironment, docnames: list[str]) -> None:
    """Articles found through a symlinked folder or file are not read; one error per symlink.

    Sphinx follows symlinks when it looks for articles, so a link to a folder
    outside (or to an ancestor: a loop) would bring in files from anywhere.
    """
    srcdir = Path(env.srcdir).resolve()
    links: dict[Path, None] = {}
    for docname in list(docnames):
        relative = Path(env.doc2path(docname)).relative_to(env.srcdir)
        if (srcdir / relative).resolve() == srcdir / relative:
            continue
        docnames.remove(docname)
        env.found_docs.discard(docname)
        partial = srcdir
        for part in relative.parts:
            partial /= part
            if partial.is_symlink():
                links[partial] = None
                break
    for link in links:
        error(
            logger, Subtype.REFUSED,
            "%s is a symlink: articles are read only from the source folder itself", link,
        )  # fmt: skip


def _remove_control_characters(docname: str, source: list[str]) -> None:
    """Control characters and noncharacters cannot be in XHTML or printed: reported, removed."""
    text = source[0]
    for match in CONTROL.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        warn(
            logger, Subtype.CONTROL_CHARACTER, "character U+%04X removed: no edition can carry it",
            ord(match[0]), location=(docname, line),
        )  # fmt: skip
    source[0] = CONTROL.sub("", text)


def _check_text(app: Sphinx, docname: str, source: list[str]) -> None:
    _remove_control_characters(docname, source)
    if not FRONT_MATTER.sub("", source[0], count=1).strip():
        warn(logger, Subtype.EMPTY_ARTICLE, "article is empty", location=(docname, 1))
        return
    if not str(app.env.doc2path(docname)).endswith(".md"):
        return
    found = unclosed_fence(source[0])
    if found is not None:
        line, fence = found
        warn(
            logger, Subtype.UNCLOSED_FENCE,
            "%s opened here is never closed: the rest of the file would become its content",
            fence, location=(docname, line),
        )  # fmt: skip


def setup(app: Sphinx) -> None:
    app.connect("env-before-read-docs", _check_articles)
    app.connect("source-read", _check_text)
