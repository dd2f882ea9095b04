"""The kinds of warning triptych emits, and the errors that stop a build.

Every warning carries ``type="triptych"`` and one of the subtypes below, so that
``-W`` turns it into a failure and ``suppress_warnings = ["triptych.<subtype>"]``
silences one kind.
"""

from __future__ import annotations

import enum
import logging as stdlib_logging
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sphinx.errors import SphinxError
from sphinx.util.docutils import SphinxDirective

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from docutils.nodes import Node
    from sphinx.application import Sphinx
    from sphinx.util import logging


class Subtype(enum.StrEnum):
    PDF_RENDER = "pdf_render"
    """WeasyPrint reported a problem while laying out the PDF."""
    UNCLOSED_FENCE = "unclosed_fence"
    """A code fence or directive left open at the end of a file."""
    IMAGE_ALT = "image_alt"
    """An image or figure without a text alternative."""
    TERM_UNDEFINED = "term_undefined"
    """A ``{term}`` names no glossary entry."""
    TERM_DUPLICATE = "term_duplicate"
    """The same term is defined by two glossary entries."""
    TERM_UNUSED = "term_unused"
    """A glossary entry that no article refers to."""
    REFUSED = "refused"
    """Content asked for a file outside the project or for a network resource (an error)."""
    NETWORK_REQUEST = "network_request"
    """An extension looked up or connected to a host ``triptych_allowed_hosts`` does not list:
    refused, as an unknown name or a refused connection."""
    RAW_IMAGE = "raw_image"
    """An image in raw HTML, shown as its text alternative in the PDF and the EPUB."""
    OUTSIDE_BOOK = "outside_book"
    """A link to a page an edition does not hold, shown as its text there: in the PDF or the
    EPUB a page outside the book, on the site a generated page it does not write (the module
    index of a project that documents no module)."""
    MISSING_IMAGE = "missing_image"
    """An image in raw HTML whose file does not exist."""
    REMOTE_IMAGE = "remote_image"
    """An image on another machine, shown as a link: builds make no network requests."""
    REMOTE_INVENTORY = "remote_inventory"
    """intersphinx inventories on hosts ``triptych_allowed_hosts`` does not list: not fetched,
    references into them shown as text."""
    UNSAFE_HTML = "unsafe_html"
    """Raw HTML lost elements or attributes to the sanitiser (scripts, event handlers...)."""
    CIRCULAR_INCLUDE = "circular_include"
    """A file includes itself, directly or through others (an error)."""
    CONTROL_CHARACTER = "control_character"
    """A control character in an article (removed: no edition can carry it)."""
    EMPTY_ARTICLE = "empty_article"
    """An article with no content."""
    VIDEO = "video"
    """A video written as an image: a link to its file on the site, its name in the books."""
    EMPTY_HEADING = "empty_heading"
    """A heading with no text: the contents, which could not name it, leave it out."""
    UNKNOWN_SYNTAX = "unknown_syntax"
    """A directive, role or link triptych cannot render (mystmd's or an extension's): kept as text."""
    PROJECT = "project"
    """Something a project file declares that the editions leave out: a missing or repeated
    file, a notebook, an extension or plugin that is not run."""
    MATH = "math"
    """A formula no renderer can draw (unknown command, over a limit); its TeX is shown."""
    CITATION_UNRESOLVED = "citation_unresolved"
    """A citation names no entry the publication lists (its key is kept as text)."""
    UNREADABLE_DATE = "unreadable_date"
    """``triptych_date`` is no date triptych can read; the EPUB is dated from the build."""
    FOOTNOTE_PAGE = "footnote_page"
    """The PDF could not keep a footnote on the page of its call."""


def warn(
    logger: logging.SphinxLoggerAdapter,
    subtype: Subtype,
    message: str,
    *args: Any,
    location: str | tuple[str, int | None] | Node | None = None,
) -> None:
    logger.warning(message, *args, location=location, type="triptych", subtype=subtype.value)


def error(
    logger: logging.SphinxLoggerAdapter,
    subtype: Subtype,
    message: str,
    *args: Any,
    location: str | tuple[str, int | None] | Node | None = None,
) -> None:
    """An error the build goes on past, to report them all; ``triptych build`` then fails."""
    logger.error(message, *args, location=location, type="triptych", subtype=subtype.value)


class TriptychError(SphinxError):
    """An error that stops the build; *location* ("file:line") says where, when known."""

    category = "triptych error"

    def __init__(self, message: str, location: str = "") -> None:
        super().__init__(message)
        self.location = location


class PdfRenderError(TriptychError):
    category = "PDF rendering failed"


class EpubWriteError(TriptychError):
    category = "EPUB writing failed"


class OneLineDocutilsMessages(stdlib_logging.Filter):
    """docutils messages repeat the offending block after a blank line: keep the message.

    "Error with CSV data in "csv-table" directive:\nunexpected end of data\n\n```..."
    becomes one line: the location already says where the block is.
    """

    def filter(self, record: stdlib_logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "\n" in record.msg:
            message = record.msg.split("\n\n", 1)[0]
            record.msg = " ".join(part.strip() for part in message.splitlines() if part.strip())
        return True


ONE_LINE_DOCUTILS_MESSAGES = OneLineDocutilsMessages()

#: How Python begins the traceback an extension may put in its warning.
TRACEBACK = "Traceback (most recent call last):"


def one_line(message: str) -> str:
    """A message of several lines as one: its first line, and the exception's own line.

    "autodoc: failed to import 'x'; the following exception was raised:" followed
    by a traceback ends in the line that says why ("ModuleNotFoundError: No module
    named 'x'"); the frames between are the extension's, not the author's.
    """
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if len(lines) < 2:
        return lines[0] if lines else message.strip()
    if TRACEBACK in message:
        first = lines[0] if lines[0] != TRACEBACK else ""
        return f"{first} {lines[-1]}".strip()
    paragraph = message.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines() if line.strip())


class OneLineWarnings(stdlib_logging.Filter):
    """Every warning and error on one line, a location's line as every other problem's.

    Put first among the warning stream's filters, before Sphinx appends the
    ``[type.subtype]`` and ``-W`` turns the message into an exception's.
    """

    def filter(self, record: stdlib_logging.LogRecord) -> bool:
        if record.levelno < stdlib_logging.WARNING:
            return True
        try:
            # The message alone: Sphinx's records put their location before it.
            message = stdlib_logging.LogRecord.getMessage(record)
        except (TypeError, ValueError):  # a message its arguments do not fit is left to fail
            return True
        if "\n" in message.strip():
            record.msg, record.args = one_line(message), ()
        return True


def show_warnings_on_one_line(app: Sphinx) -> None:
    """Put :class:`OneLineWarnings` before the filters of this application's warning stream."""
    from sphinx.util.logging import NAMESPACE, WarningStreamHandler

    if app.verbosity > 0:
        return  # -v asks for the whole message, a traceback too
    for handler in stdlib_logging.getLogger(NAMESPACE).handlers:
        if isinstance(handler, WarningStreamHandler) and not any(
            isinstance(existing, OneLineWarnings) for existing in handler.filters
        ):
            handler.filters.insert(0, OneLineWarnings())


class _Locate(stdlib_logging.Filter):
    def __init__(self, location: str) -> None:
        super().__init__()
        self.location = location

    def filter(self, record: stdlib_logging.LogRecord) -> bool:
        if record.levelno >= stdlib_logging.WARNING and not getattr(record, "location", None):
            record.location = self.location
        return True


@contextmanager
def located_warnings(location: str) -> Iterator[None]:
    """Warnings logged with no location while the block runs are given *location*.

    The filter goes on the handlers in place when the block begins: while Sphinx
    holds warnings back (reading, a ``-j`` process) those are its buffers, so a
    record is located when it is logged, not when it is shown.
    """
    from sphinx.util.logging import NAMESPACE

    locate = _Locate(location)
    handlers = list(stdlib_logging.getLogger(NAMESPACE).handlers)
    for handler in handlers:
        handler.addFilter(locate)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(locate)


class LocatedWarnings(SphinxDirective):
    """Put before a directive that logs its problems without saying where: at the directive."""

    def run(self) -> Sequence[Node]:
        with located_warnings(self.get_location()):
            return super().run()


#: The directives autodoc registers (``sphinx.ext.autodoc._register_directives``); they
#: report a module that cannot be imported with no location.
AUTODOC_OBJECT_TYPES = (
    "module", "class", "exception", "function", "decorator", "method", "property",
    "attribute", "data", "type",
)  # fmt: skip


def locate_autodoc_warnings(app: Sphinx) -> None:
    """autodoc's directives, with their warnings at the directive's line."""
    from docutils.parsers.rst import directives
    from sphinx.util.docutils import is_directive_registered

    if "sphinx.ext.autodoc" not in app.extensions:
        return
    names = {f"auto{kind}" for kind in (*AUTODOC_OBJECT_TYPES, *app.registry.documenters)}
    for name in sorted(names):
        if not is_directive_registered(name):
            continue
        # Registered, so docutils finds it without a language module or a document.
        directive, _messages = directives.directive(name, None, None)  # type: ignore[arg-type]
        # Whichever class the name has now (autodoc's, or one that replaced it) is kept.
        if (
            isinstance(directive, type)
            and issubclass(directive, SphinxDirective)
            and not issubclass(directive, LocatedWarnings)
        ):
            located = type(f"Located{directive.__name__}", (LocatedWarnings, directive), {})
            app.add_directive(name, located, override=True)


def setup(app: Sphinx) -> None:
    # The logger of sphinx.util.docutils, which relays docutils' system messages.
    for name in ("sphinx.sphinx.util.docutils", "sphinx.myst_parser.warnings_"):
        stdlib_logging.getLogger(name).addFilter(ONE_LINE_DOCUTILS_MESSAGES)
    show_warnings_on_one_line(app)
    # After config-inited, where autodoc registers its directives.
    app.connect("builder-inited", locate_autodoc_warnings)
