"""A document saved while Sphinx was reading it is read again by the next build.

Sphinx dates a document's reading when the parse ends, and reads it again
only if its file is newer than that. A save that lands between Sphinx
reading the file and the end of the parse (the author saves twice in a
row while ``triptych serve`` rebuilds) would be older than the reading and
never read. triptych notes the file's modification time as Sphinx reads it;
a file whose time is no longer the one noted is read again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

#: The attribute of the environment that holds, per document, its file's time when read.
READ_TIMES = "triptych_read_times"


def read_times(env: BuildEnvironment) -> dict[str, int]:
    """Each document's file modification time (ns) as Sphinx read it."""
    times: dict[str, int] = env.__dict__.setdefault(READ_TIMES, {})
    return times


def _modified(env: BuildEnvironment, docname: str) -> int | None:
    try:
        return env.doc2path(docname).stat().st_mtime_ns
    except OSError:
        return None


def _note_read(app: Sphinx, docname: str, _source: list[str]) -> None:
    if (modified := _modified(app.env, docname)) is not None:
        read_times(app.env)[docname] = modified


def _saved_while_read(
    _app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    times = read_times(env)
    return sorted(
        docname
        for docname in (env.found_docs & times.keys()) - added - changed - removed
        if _modified(env, docname) != times[docname]
    )


def _merge(
    _app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment
) -> None:
    theirs = read_times(other)
    read_times(env).update({name: theirs[name] for name in docnames if name in theirs})


def _forget(_app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    read_times(env).pop(docname, None)


def setup(app: Sphinx) -> None:
    # Before the handlers that rewrite the source: the sooner after the file was read, the better.
    app.connect("source-read", _note_read, priority=0)
    app.connect("env-get-outdated", _saved_while_read)
    app.connect("env-merge-info", _merge)
    app.connect("env-purge-doc", _forget)
