"""Directives, images and downloads that would read a file or a URL, checked before any read.

docutils and Sphinx read whatever an article names: ``include``,
``literalinclude``, ``raw`` and ``csv-table`` with ``:file:`` or ``:url:``,
images, figures and downloads. Each is resolved here as its directive would
resolve it, then refused with an error at the article's line when it lies
outside the source folder (symlinks followed), is not a regular file, is over
the size limit, or is on another machine whose host the configuration does
not allow. A refused item is left out; ``quire build`` fails on the error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from docutils import nodes
from docutils.parsers.rst.directives.misc import Include as DocutilsInclude
from docutils.parsers.rst.directives.misc import Raw, adapt_path
from sphinx import addnodes
from sphinx.directives.code import LiteralInclude
from sphinx.directives.other import Include
from sphinx.directives.patches import CSVTable
from sphinx.util import logging

from quire.diagnostics import Subtype, error
from quire.safety import file_refusal, is_remote, remote_refusal

if TYPE_CHECKING:
    from docutils.nodes import Node
    from docutils.parsers.rst import Directive
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

#: docutils' own include files (``<isonum.txt>``): part of docutils, not of the article.
STANDARD_INCLUDES = Path(DocutilsInclude.standard_include_path).resolve()


def max_article_bytes(config: Config) -> int:
    return int(config.quire_max_article_mb * 1024 * 1024)


def path_refusal(env: BuildEnvironment, path: Path) -> str | None:
    """Why *path* may not be read into an edition, or None."""
    if path.resolve().is_relative_to(STANDARD_INCLUDES):
        return None
    return file_refusal(path, (Path(env.srcdir),), max_article_bytes(env.config))


def url_refusal(env: BuildEnvironment, url: str) -> str | None:
    return remote_refusal(url, env.config.quire_allowed_hosts)


class _Confined:
    """Refuses a directive's files and URLs before its own ``run`` reads them."""

    def refusal(self) -> str | None:
        raise NotImplementedError

    def run(self) -> list[Node]:
        if reason := self.refusal():
            directive: Any = self
            source, line = directive.state_machine.get_source_and_line(directive.lineno)
            error(logger, Subtype.REFUSED, reason, location=f"{source}:{line}")
            return []
        return super().run()  # type: ignore[misc,no-any-return]

    def _env(self) -> BuildEnvironment:
        directive: Any = self
        return directive.state.document.settings.env  # type: ignore[no-any-return]

    def _docutils_path(self, option: str) -> Path:
        """The path docutils opens for a ``:file:`` option (relative to the current file)."""
        directive: Any = self
        document = directive.state.document
        current = getattr(document, "current_source", None) or document["source"]
        return Path(adapt_path(directive.options[option], current, document.settings.root_prefix))

    def _option_refusal(self) -> str | None:
        directive: Any = self
        if "url" in directive.options:
            return url_refusal(self._env(), directive.options["url"])
        if "file" in directive.options:
            return path_refusal(self._env(), self._docutils_path("file"))
        return None


class ConfinedRaw(_Confined, Raw):
    def refusal(self) -> str | None:
        return self._option_refusal()


class ConfinedCSVTable(_Confined, CSVTable):  # type: ignore[misc]
    def refusal(self) -> str | None:
        file = self.options.get("file", "")
        if file.startswith(("/", os.sep)) and not Path(file).exists():
            # Sphinx reads an absolute path that does not exist from the source folder.
            return path_refusal(self._env(), Path(self._env().srcdir, file[1:]))
        return self._option_refusal()


class ConfinedLiteralInclude(_Confined, LiteralInclude):
    def refusal(self) -> str | None:
        for argument in (self.arguments[0], self.options.get("diff")):
            if argument:
                reason = path_refusal(self.env, Path(self.env.relfn2path(argument)[1]))
                if reason:
                    return reason
        return None


class ConfinedInclude(_Confined, Include):
    """``include`` in reStructuredText; MyST's own include is checked in :mod:`quire.markdown`."""

    def refusal(self) -> str | None:
        return include_refusal(self.env, self.arguments[0])


def include_refusal(env: BuildEnvironment, argument: str) -> str | None:
    argument = "".join(part.strip() for part in argument.splitlines())
    if argument.startswith("<") and argument.endswith(">"):
        return None
    return path_refusal(env, Path(env.relfn2path(argument)[1]))


def image_refusal(env: BuildEnvironment, uri: str, docname: str) -> str | None:
    if uri.startswith("data:"):
        return None
    if is_remote(uri):
        return url_refusal(env, uri)
    if len(urlsplit(uri).scheme) > 1:  # file:, ftp: and the like; one letter is a drive
        return f"refused to read {uri}: only files of the source folder are read"
    path = Path(env.relfn2path(uri, docname)[1])
    # ``image.*`` is matched against the folder's files by Sphinx.
    return path_refusal(env, path.parent if "*" in uri else path)


def refuse_foreign_files(app: Sphinx, doctree: nodes.document) -> None:
    """Leave out images and downloads that are outside the source folder or remote."""
    env = app.env
    docname = env.current_document.docname
    for image in list(doctree.findall(nodes.image)):
        if reason := image_refusal(env, image["uri"], docname):
            error(logger, Subtype.REFUSED, reason, location=image)
            image.parent.remove(image)
    for download in list(doctree.findall(addnodes.download_reference)):
        target = download.get("reftarget", "")
        if "://" in target:
            continue  # a link for the reader to follow; nothing is fetched
        if reason := path_refusal(env, Path(env.relfn2path(target, docname)[1])):
            error(logger, Subtype.REFUSED, reason, location=download)
            download.replace_self(download.children)


DIRECTIVES: dict[str, type[Directive]] = {
    "raw": ConfinedRaw,
    "csv-table": ConfinedCSVTable,
    "literalinclude": ConfinedLiteralInclude,
    "include": ConfinedInclude,
}


def setup(app: Sphinx) -> None:
    for name, directive in DIRECTIVES.items():
        app.add_directive(name, directive, override=True)
    # Before Sphinx's image and download collectors (priority 500) note the files to copy.
    app.connect("doctree-read", refuse_foreign_files, priority=400)
