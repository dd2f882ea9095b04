"""Documents with problems are read again on the next build, so their problems are reported until mended.

Sphinx reports a problem found while reading a document only when it reads
that document. An incremental build after a failed one would reuse the saved
environment and pass in silence, publishing editions with the refused content
left out. triptych remembers which documents had problems and reads them again
on the next build.
"""

from __future__ import annotations

import logging as stdlib_logging
from pathlib import Path
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.util import logging
from sphinx.util.logging import get_node_location

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

TROUBLED = "triptych_troubled_docs"


class ShownProblems(logging.WarningStreamHandler):
    """Sees every warning and error once, when it is shown, unless it is suppressed.

    A ``WarningStreamHandler``, so Sphinx holds it back while it buffers
    warnings during reading and it sees each record once, when they are shown.
    """

    def __init__(self, app: Sphinx) -> None:
        super().__init__(stream=None)  # type: ignore[arg-type]  # emit() writes nothing
        self.setLevel(stdlib_logging.WARNING)
        self.app = app

    def emit(self, record: stdlib_logging.LogRecord) -> None:
        kind, subtype = getattr(record, "type", None), getattr(record, "subtype", None)
        if kind and logging.is_suppressed_warning(
            kind, subtype or "", self.app.config.suppress_warnings
        ):
            return
        self.shown(record)

    def shown(self, record: stdlib_logging.LogRecord) -> None:
        """Take one problem as it is shown; each handler notes what it needs of it."""

    def attach(self) -> None:
        stdlib_logging.getLogger(logging.NAMESPACE).addHandler(self)

    def detach(self) -> None:
        stdlib_logging.getLogger(logging.NAMESPACE).removeHandler(self)


class TroubleMarker(ShownProblems):
    """Notes the document each shown problem belongs to, to be read again next build."""

    def shown(self, record: stdlib_logging.LogRecord) -> None:
        if docname := self._docname(getattr(record, "location", None)):
            troubled(self.app.env).add(docname)

    def _docname(self, location: object) -> str | None:
        env = self.app.env
        if isinstance(location, tuple):
            return str(location[0]) if location and location[0] else None
        if isinstance(location, nodes.Node):
            location = get_node_location(location)
        if not isinstance(location, str) or not location:
            return None
        path, _, line = location.rpartition(":")
        if not line.isdigit():
            path = location
        if not Path(path).is_absolute():
            return path or None
        if docname := env.path2doc(Path(path)):
            return docname
        # An included file: the document that includes it is the one to read again.
        real = Path(path).resolve()
        for including, files in env.dependencies.items():
            if any(Path(env.srcdir, file).resolve() == real for file in files):
                return including
        return None


def troubled(env: BuildEnvironment) -> set[str]:
    documents: set[str] = env.__dict__.setdefault(TROUBLED, set())
    return documents


def _read_again(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    if not app.config.triptych_reread_troubled:
        return []
    return sorted((troubled(env) & env.found_docs) - added - changed - removed)


def _forget(_app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    troubled(env).discard(docname)


#: The logger Sphinx passes docutils' system messages to ("sphinx." + the module's name).
DOCUTILS_MESSAGES_LOGGER = "sphinx.sphinx.util.docutils"


class MarkupErrorsAsWarnings(stdlib_logging.Filter):
    """docutils' errors about markup (a footnote never defined, a target nowhere) are warnings.

    docutils still renders what it could not make sense of, as the text that
    was written, so no edition loses it: like everything that cannot be
    rendered, a located warning, which ``-W`` makes fatal. Severe messages
    (what docutils could not read at all) stay errors.
    """

    def filter(self, record: stdlib_logging.LogRecord) -> bool:
        if record.levelno == stdlib_logging.ERROR and getattr(record, "type", "") == "docutils":
            record.levelno, record.levelname = stdlib_logging.WARNING, "WARNING"
        return True


def setup(app: Sphinx) -> None:
    docutils_messages = stdlib_logging.getLogger(DOCUTILS_MESSAGES_LOGGER)
    if not any(isinstance(f, MarkupErrorsAsWarnings) for f in docutils_messages.filters):
        docutils_messages.addFilter(MarkupErrorsAsWarnings())
    marker = TroubleMarker(app)
    app.connect("builder-inited", lambda _app: marker.attach())
    app.connect("build-finished", lambda _app, _exception: marker.detach())
    app.connect("env-get-outdated", _read_again)
    app.connect("env-purge-doc", _forget)
