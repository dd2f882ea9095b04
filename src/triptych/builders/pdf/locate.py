"""Where in the sources a problem WeasyPrint logs comes from.

WeasyPrint names URLs, anchors and characters, never source lines; these
functions find the article (and line) that holds what a message names, so
the author is sent to their own file.
"""

from __future__ import annotations

import logging as stdlib_logging
import re
import unicodedata
from functools import partial
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.util import logging

from triptych.builders.pdf.ids import chapter_anchor
from triptych.diagnostics import PdfRenderError, Subtype, error, warn

if TYPE_CHECKING:
    from collections.abc import Callable

    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

#: As many layout problems as the one line that stops the build can name.
FEW_PROBLEMS = 3
#: The files raw HTML names: ``src="…"`` and ``href='…'``.
SOURCE_ATTRIBUTE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


class ProblemLocator:
    """Finds the source of a WeasyPrint message among the chapters of one layout."""

    def __init__(
        self,
        env: BuildEnvironment,
        order: list[str],
        chapters: list[nodes.container],
        images: dict[str, str],
    ) -> None:
        self.env = env
        self.order = order
        self.chapters = chapters
        self.images = images

    def report(self, problems: list[stdlib_logging.LogRecord]) -> None:
        """Fail on any error WeasyPrint logged, naming the article it concerns where it can."""
        errors: list[tuple[str, str]] = []
        for record in problems:
            message = record.getMessage().rstrip()
            if message.endswith(":"):  # WeasyPrint gives no reason for some failures
                message += " it could not be loaded"
            where = self.locate(message)
            if record.levelno >= stdlib_logging.ERROR:
                errors.append((where, message))
            else:
                location = self.sphinx_location(where) or None
                warn(logger, Subtype.PDF_RENDER, "WeasyPrint: %s", message, location=location)
        problems.clear()
        if not errors:
            return
        first_location, first_message = errors[0]
        if len(errors) <= FEW_PROBLEMS:
            detail = "; ".join(m if w == first_location else f"{w}: {m}" for w, m in errors)
            raise PdfRenderError(detail, location=first_location)
        # Each is logged at its own place, where the console groups them by kind.
        for where, message in errors:
            location = self.sphinx_location(where) or None
            error(logger, Subtype.PDF_RENDER, "WeasyPrint: %s", message, location=location)
        raise PdfRenderError(
            f"{len(errors)} problems in the layout, the first: {first_message}",
            location=first_location,
        )

    def sphinx_location(self, where: str) -> str:
        """*where* as Sphinx's logging reads it: a path with no line is taken for a document name."""
        if not where or re.search(r":\d+$", where):
            return where
        return self.env.path2doc(where) or where

    def locate(self, message: str) -> str:
        """The source file (and line) a WeasyPrint message is about, from what it names."""
        for url in re.findall(r"'([^']+)'", message):
            if found := self.node_naming(partial(_names_url, url=url)):
                return found
        for anchor in re.findall(r"#([^\s'\"]+)", message):
            if found := self.node_naming(partial(_links_to, anchor=anchor), raw=True):
                return found
        for docname in self.order:
            if f"#{docname}--" in message or f"{chapter_anchor(docname)}" in message:
                return str(self.env.doc2path(docname))
        for source, name in self.images.items():
            if f"/_images/{name}" in message:
                users = sorted(self.env.images[source][0]) if source in self.env.images else []
                return str(self.env.doc2path(users[0])) if users else source
        if glyphs := re.search(r'unsupported by fonts: "(.+)" \(U\+', message):
            return self.first_use(glyphs[1])
        return ""

    def node_naming(self, names_it: Callable[[list[str]], bool], *, raw: bool = False) -> str:
        """``file:line`` of the first raw HTML or image whose names *names_it* accepts.

        A raw node's names are its text, then the files and anchors it links to.
        """
        for docname, chapter in zip(self.order, self.chapters, strict=True):
            for node in chapter.findall(nodes.Element):
                if isinstance(node, nodes.raw):
                    names = [node.astext(), *SOURCE_ATTRIBUTE.findall(node.astext())]
                elif isinstance(node, nodes.image) and not raw:
                    names = [str(node["uri"])]
                else:
                    continue
                if names_it(names):
                    line = f":{node.line}" if node.line else ""
                    return f"{self.env.doc2path(docname)}{line}"
        return ""

    def first_use(self, text: str) -> str:
        """``file:line`` of the first article line holding *text* (a character no font has)."""
        decomposed = unicodedata.normalize("NFKD", text)
        for docname in self.order:
            # The article, then the files it includes (a changelog kept beside the docs).
            included = sorted(self.env.dependencies.get(docname, ()))
            for path in [
                self.env.doc2path(docname),
                *(self.env.srcdir / name for name in included),
            ]:
                try:
                    source = path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                # Split at line feeds only: the character may itself be a line separator.
                for number, line in enumerate(source.split("\n"), start=1):
                    # The shaper may name a part of what was written: Thai SARA AM (U+0E33)
                    # is laid out as NIKHAHIT (U+0E4D) and SARA AA.
                    if text in line or decomposed in unicodedata.normalize("NFKD", line):
                        return f"{path}:{number}"
        return ""


def _links_to(names: list[str], anchor: str) -> bool:
    """Whether raw HTML whose *names* these are links to ``#anchor``."""
    return f"#{anchor}" in names[1:]


def _names_url(names: list[str], url: str) -> bool:
    """Whether one of *names* is *url*, or the file at its end."""
    return any(url in name or (name and url.endswith("/" + name)) for name in names)
