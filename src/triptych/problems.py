"""Warnings and errors of a build, counted, and remembered per document.

Sphinx reports a problem found while reading a document only when it reads
that document. An incremental build after a failed one would reuse the saved
environment and pass in silence, publishing editions with the refused content
left out. triptych remembers which documents had problems and reads them again
on the next build, so their problems are reported again until they are
mended. ``triptych build`` uses the counts to fail on errors (and, with ``-W``,
on warnings) before anything is written.
"""

from __future__ import annotations

import logging as stdlib_logging
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from docutils import nodes
from sphinx.util import logging
from sphinx.util.logging import get_node_location

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

TROUBLED = "triptych_troubled_docs"


class ProblemRecorder(logging.WarningStreamHandler):
    """Counts the warnings and errors that are shown; notes the documents they are in.

    A ``WarningStreamHandler``, so Sphinx holds it back while it buffers
    warnings during reading and it sees each record once, when they are shown.
    """

    def __init__(self, app: Sphinx) -> None:
        super().__init__(stream=None)  # type: ignore[arg-type]  # emit() writes nothing
        self.setLevel(stdlib_logging.WARNING)
        self.app = app
        self.errors = 0
        self.warnings = 0

    def emit(self, record: stdlib_logging.LogRecord) -> None:
        kind, subtype = getattr(record, "type", None), getattr(record, "subtype", None)
        if kind and logging.is_suppressed_warning(
            kind, subtype or "", self.app.config.suppress_warnings
        ):
            return
        if record.levelno >= stdlib_logging.ERROR:
            self.errors += 1
        else:
            self.warnings += 1
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


RECORDERS: WeakKeyDictionary[Sphinx, ProblemRecorder] = WeakKeyDictionary()


def recorder(app: Sphinx) -> ProblemRecorder | None:
    return RECORDERS.get(app)


def troubled(env: BuildEnvironment) -> set[str]:
    documents: set[str] = env.__dict__.setdefault(TROUBLED, set())
    return documents


def _attach(app: Sphinx) -> None:
    RECORDERS[app] = ProblemRecorder(app)
    stdlib_logging.getLogger(logging.NAMESPACE).addHandler(RECORDERS[app])


def _detach(app: Sphinx, _exception: BaseException | None) -> None:
    if handler := RECORDERS.get(app):
        stdlib_logging.getLogger(logging.NAMESPACE).removeHandler(handler)


#: Documents read again in this run. ``triptych build`` makes one application per edition on
#: one saved environment; the first reads them (and reports their problems) for all.
_READ_THIS_RUN: set[str] = set()


def start_run() -> None:
    _READ_THIS_RUN.clear()


def _read_again(
    _app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    again = (troubled(env) & env.found_docs) - added - changed - removed - _READ_THIS_RUN
    _READ_THIS_RUN.update(again)
    return sorted(again)


def _forget(_app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    troubled(env).discard(docname)


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", _attach)
    app.connect("build-finished", _detach)
    app.connect("env-get-outdated", _read_again)
    app.connect("env-purge-doc", _forget)
