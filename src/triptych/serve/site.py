"""The site of the preview, rebuilt in place on every save by one Sphinx application kept alive.

Starting Sphinx, loading the extensions and the saved environment is most
of what a small rebuild costs, so the application lives as long as the
preview and each save runs :meth:`SitePreview.rebuild`: Sphinx reads the
documents that changed (and those with problems last time), and writes them
and the documents whose references point into them. A change to
``conf.py`` starts a new application, as the configuration is read once.
"""

from __future__ import annotations

import io
import re
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, cast

from triptych.console import ANSI

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

#: A line of Sphinx's warning stream that opens a problem (what follows it belongs to it).
PROBLEM_LINE = re.compile(r"(WARNING|ERROR|CRITICAL):")


@dataclass(frozen=True)
class SiteBuild:
    """What one rebuild did: the pages written, its problems, or the error that stopped it."""

    written: tuple[str, ...]
    problems: tuple[str, ...]
    error: str | None
    seconds: float

    def state(self) -> dict[str, Any]:
        return {
            "problems": list(self.problems),
            "error": self.error,
            "written": list(self.written),
            "seconds": round(self.seconds, 3),
        }


class _Problems(io.TextIOBase):
    """Sphinx's warning stream: each problem to the terminal and into this build's list."""

    def __init__(self, terminal: io.TextIOBase | Any) -> None:
        super().__init__()
        self.terminal = terminal
        self.lines: list[str] = []
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.terminal.write(text)
        self._pending += ANSI.sub("", text)
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if PROBLEM_LINE.search(line):
                self.lines.append(line.strip())
            elif line.strip() and self.lines:
                self.lines[-1] += "\n" + line.rstrip()
        return len(text)

    def flush(self) -> None:
        self.terminal.flush()

    def take(self) -> list[str]:
        lines, self.lines = self.lines, []
        return lines


@dataclass
class References:
    """Which documents refer to which targets, so that a changed target rewrites its users."""

    targets_of: dict[str, set[str]] = field(default_factory=dict)

    def note(self, app: Sphinx, doctree: nodes.document) -> None:
        from sphinx import addnodes

        docname = app.env.current_document.docname
        self.targets_of[docname] = {
            str(node.get("reftarget", "")).lower()
            for node in doctree.findall(addnodes.pending_xref)
        }

    @staticmethod
    def defined(env: BuildEnvironment, docnames: Iterable[str]) -> dict[str, str]:
        """What each target *docnames* define prints where it is used, by target name.

        A document's title, a label's section title, an object's (a term's)
        anchor: a reference prints or links to these, so a document that
        refers to one needs writing again only when it changed.
        """
        docnames = set(docnames)
        targets = {name: env.titles[name].astext() for name in docnames if name in env.titles}
        std = env.domains.standard_domain
        for name, entry in {**std.anonlabels, **std.labels}.items():
            if entry[0] in docnames:
                targets[name.lower()] = repr(entry)
        for (kind, name), entry in std.objects.items():
            if entry[0] in docnames:
                targets[name.lower()] = f"{kind} {entry[0]} {entry[1]}"
        return targets

    def users(self, changed: Iterable[str], targets: set[str], known: Iterable[str]) -> set[str]:
        """The documents, besides *changed*, that refer to one of *targets*."""
        changed = set(changed)
        known = set(known)
        return {
            docname
            for docname, used in self.targets_of.items()
            if docname not in changed and docname in known and used & targets
        }


@dataclass
class SitePreview:
    """The preview's HTML edition of *source*, built into *outdir*."""

    source: Path
    outdir: Path
    doctrees: Path
    overrides: dict[str, Any]
    terminal: Any = field(default_factory=lambda: sys.stderr)
    _app: Sphinx | None = None
    _context: ExitStack | None = None
    _problems: _Problems | None = None
    _references: References = field(default_factory=References)
    _read: list[str] = field(default_factory=list)
    #: What the documents read defined before they were read again: a removed label counts.
    _former_targets: dict[str, str] = field(default_factory=dict)

    @property
    def slug(self) -> str | None:
        """The publication's slug, which names its PDF and EPUB, once the site was built."""
        return str(self._app.config.triptych_slug) if self._app is not None else None

    def rebuild(self, *, restart: bool = False, force_all: bool = False) -> SiteBuild:
        """Bring the site up to date; *restart* after ``conf.py`` changed, *force_all* pages."""
        from triptych.run import describe

        started = time.perf_counter()
        if restart:
            self.close()
        try:
            app = self._app or self._start()
            self._read.clear()
            self._former_targets.clear()
            before = {docname: self._written_at(app, docname) for docname in app.env.all_docs}
            app.build(force_all=force_all)
            written = tuple(
                sorted(
                    docname
                    for docname in app.env.all_docs
                    if self._written_at(app, docname) != before.get(docname)
                )
            )
            error = None
        except Exception as error_:  # noqa: BLE001 - an author's error, shown and survived
            error = describe(error_)
            written = ()
            self.close()  # an application a build broke is not used again
        problems = tuple(self._problems.take()) if self._problems is not None else ()
        return SiteBuild(written, problems, error, time.perf_counter() - started)

    def close(self) -> None:
        if self._context is not None:
            self._context.close()
        self._app = None
        self._context = None

    def _start(self) -> Sphinx:
        from sphinx.application import Sphinx
        from sphinx.util.docutils import docutils_namespace, patch_docutils

        confdir = self.source if (self.source / "conf.py").is_file() else None
        context = ExitStack()
        # Directives and roles are registered in docutils' globals for as long as
        # the application lives; the namespace keeps them from leaking past it.
        context.enter_context(patch_docutils(confdir))
        context.enter_context(docutils_namespace())
        self._problems = _Problems(self.terminal)
        try:
            app = Sphinx(
                srcdir=self.source,
                confdir=confdir,
                outdir=self.outdir,
                doctreedir=self.doctrees,
                buildername="html",
                confoverrides=dict(self.overrides),
                status=None,
                warning=cast("IO[str]", self._problems),
                # The references of every document are noted as it is read: all are, once.
                freshenv=True,
            )
        except BaseException:
            context.close()
            raise
        app.connect("env-before-read-docs", self._before_read)
        app.connect("doctree-read", self._references.note)
        app.connect("env-get-updated", self._users_of_changed)
        app.connect("env-purge-doc", self._purged)
        self._app = app
        self._context = context
        return app

    def _before_read(self, _app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
        self._read[:] = docnames
        self._former_targets = References.defined(env, docnames)

    def _users_of_changed(self, _app: Sphinx, env: BuildEnvironment) -> list[str]:
        now = References.defined(env, self._read)
        before = self._former_targets
        changed = {name for name in before.keys() | now.keys() if before.get(name) != now.get(name)}
        return sorted(self._references.users(self._read, changed, env.all_docs))

    def _purged(self, _app: Sphinx, _env: BuildEnvironment, docname: str) -> None:
        self._references.targets_of.pop(docname, None)

    def _written_at(self, app: Sphinx, docname: str) -> float | None:
        page = self.outdir / app.builder.get_target_uri(docname)
        try:
            return page.stat().st_mtime_ns
        except OSError:
            return None
