"""Directives, images and downloads that would read a file or a URL, checked before any read.

docutils and Sphinx read whatever an article names: ``include``,
``literalinclude``, ``raw`` and ``csv-table`` with ``:file:`` or ``:url:``,
images, figures and downloads. Each is resolved here as its directive would
resolve it, then refused with an error at the article's line when it lies
outside the project (symlinks followed), is not a regular file, is over
the size limit, or is on another machine whose host the configuration does
not allow. A refused item is left out; ``triptych build`` fails on the error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit
from urllib.request import url2pathname

from docutils import nodes
from docutils.parsers.rst.directives.misc import Include as DocutilsInclude
from docutils.parsers.rst.directives.misc import Raw, adapt_path
from sphinx import addnodes
from sphinx.directives.code import LiteralInclude
from sphinx.directives.other import Include
from sphinx.directives.patches import CSVTable, Figure
from sphinx.util import logging

from triptych.diagnostics import Subtype, error, warn
from triptych.safety.paths import file_refusal, is_remote, project_root, remote_refusal

if TYPE_CHECKING:
    from collections.abc import Callable

    from docutils.nodes import Node
    from docutils.parsers.rst import Directive
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

#: docutils' own include files (``<isonum.txt>``): part of docutils, not of the article.
STANDARD_INCLUDES = Path(DocutilsInclude.standard_include_path).resolve()


def max_article_bytes(config: Config) -> int:
    return int(config.triptych_max_article_mb * 1024 * 1024)


def readable_root(env: BuildEnvironment) -> Path:
    """The project folder this build's content may read from."""
    return project_root(Path(env.srcdir), env.config.triptych_project_root)


def path_refusal(env: BuildEnvironment, path: Path) -> str | None:
    """Why *path* may not be read into an edition, or None."""
    return file_refusal(path, (readable_root(env),), max_article_bytes(env.config))


def url_refusal(env: BuildEnvironment, url: str) -> str | None:
    return remote_refusal(url, env.config.triptych_allowed_hosts)


class _Confined:
    """Refuses a directive's files and URLs before its own ``run`` reads them."""

    def refusal(self) -> str | None:
        """Why the directive may not run; by default, its ``:file:`` or ``:url:`` option."""
        return self._option_refusal()

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

    def _docutils_path(self, option: str, value: str | None = None) -> Path:
        """The path docutils opens for a ``:file:`` option (relative to the current file)."""
        directive: Any = self
        document = directive.state.document
        current = getattr(document, "current_source", None) or document["source"]
        value = directive.options[option] if value is None else value
        return Path(adapt_path(value, current, document.settings.root_prefix)).absolute()

    def _option_refusal(self) -> str | None:
        directive: Any = self
        if "url" in directive.options:
            return url_refusal(self._env(), directive.options["url"])
        if "file" in directive.options:
            return path_refusal(self._env(), self._docutils_path("file"))
        return None


class ConfinedRaw(_Confined, Raw):
    """``raw``: its ``:file:`` and ``:url:`` are checked."""


class ConfinedCSVTable(_Confined, CSVTable):  # type: ignore[misc]
    def refusal(self) -> str | None:
        file = self.options.get("file", "")
        if file.startswith(("/", os.sep)) and not Path(file).exists():
            # What Sphinx does before docutils reads: the path from the source folder,
            # made relative to the document's folder (docutils then resolves it from
            # the file being read, which may be an included one).
            env = self._env()
            document_folder = Path(env.doc2path(env.current_document.docname)).parent
            rewritten = os.path.relpath(Path(env.srcdir, file[1:]), document_folder)
            return path_refusal(env, self._docutils_path("file", rewritten))
        return self._option_refusal()


class ConfinedFigure(_Confined, Figure):
    """``figure``; ``:figwidth: image`` opens the image while parsing, so it is checked first."""

    def refusal(self) -> str | None:
        if self.options.get("figwidth") != "image":
            return None
        env = self._env()
        # docutils opens the image as a path from the working folder, not the document's.
        opened = Path(url2pathname(self.arguments[0])).absolute()
        return image_refusal(env, self.arguments[0], env.current_document.docname) or (
            path_refusal(env, opened) if opened.exists() else None
        )


class ConfinedLiteralInclude(_Confined, LiteralInclude):
    def refusal(self) -> str | None:
        for argument in (self.arguments[0], self.options.get("diff")):
            if argument:
                reason = path_refusal(self.env, Path(self.env.relfn2path(argument)[1]))
                if reason:
                    return reason
        return None


class ConfinedInclude(_Confined, Include):
    """``include`` in reStructuredText; MyST's own include is checked in :mod:`triptych.safety.markdown`.

    Without ``:parser:``: docutils imports the module it names while reading the
    options, and another parser would skip triptych's checks for what it includes.
    """

    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        name: spec for name, spec in (Include.option_spec or {}).items() if name != "parser"
    }

    def refusal(self) -> str | None:
        return include_refusal(self.env, self.arguments[0])


def include_refusal(env: BuildEnvironment, argument: str) -> str | None:
    argument = "".join(part.strip() for part in argument.splitlines())
    if argument.startswith("<") and argument.endswith(">"):
        standard = (STANDARD_INCLUDES / argument[1:-1]).resolve()
        if standard.is_relative_to(STANDARD_INCLUDES) and standard.is_file():
            return None
        return f"refused to include {argument}: not one of docutils' standard include files"
    return path_refusal(env, Path(env.relfn2path(argument)[1]))


def image_refusal(env: BuildEnvironment, uri: str, docname: str) -> str | None:
    if uri.startswith("data:"):
        return None
    if is_remote(uri):
        return url_refusal(env, uri)
    if len(urlsplit(uri).scheme) > 1:  # file:, ftp: and the like; one letter is a drive
        return f"refused to read {uri}: only files of the source folder are read"
    if "*" in uri:
        return None  # matched against the folder by Sphinx; its candidates are checked after
    return path_refusal(env, Path(env.relfn2path(uri, docname)[1]))


def show_as_link(image: nodes.image) -> None:
    """Put a remote image's text alternative, linked to the image, where the image was."""
    text = str(image.get("alt") or "") or image["uri"]
    parent = image.parent
    if isinstance(parent, nodes.reference):
        # The image's own target stays the link; a link alone between blocks needs a paragraph.
        parent.replace(image, nodes.Text(text))
        if not isinstance(parent.parent, nodes.TextElement):
            parent.parent.replace(parent, nodes.paragraph("", "", parent.deepcopy()))
        return
    link = nodes.reference(text, text, refuri=image["uri"])
    replacement = link if isinstance(parent, nodes.TextElement) else nodes.paragraph("", "", link)
    parent.replace(image, replacement)


def refuse_foreign_files(app: Sphinx, doctree: nodes.document) -> None:
    """Leave out images and downloads that are outside the project or remote."""
    env = app.env
    docname = env.current_document.docname
    for image in list(doctree.findall(nodes.image)):
        reason = image_refusal(env, image["uri"], docname)
        if not reason and image.get("loading") == "embed":
            # docutils would read the file (URL-unquoted, from the working folder) into the page.
            reason = f"refused to embed {image['uri']}: images are linked, not embedded"
        if reason and is_remote(image["uri"]):
            # The reader can still follow the link; the editions carry no remote file.
            warn(logger, Subtype.REMOTE_IMAGE, "%s; the image is shown as a link", reason,
                 location=image)  # fmt: skip
            show_as_link(image)
        elif reason:
            error(logger, Subtype.REFUSED, reason, location=image)
            image.parent.remove(image)
    for download in list(doctree.findall(addnodes.download_reference)):
        target = download.get("reftarget", "")
        if "://" in target:
            continue  # a link for the reader to follow; nothing is fetched
        if reason := path_refusal(env, Path(env.relfn2path(target, docname)[1])):
            error(logger, Subtype.REFUSED, reason, location=download)
            download.replace_self(download.children)


def refuse_foreign_candidates(app: Sphinx, doctree: nodes.document) -> None:
    """Check the files Sphinx chose for each image (``image.*``, localised ``image.en.png``)."""
    env = app.env
    docname = env.current_document.docname
    for image in list(doctree.findall(nodes.image)):
        candidates: dict[str, str] = image.get("candidates", {})
        for candidate in candidates.values():
            if "://" in candidate or candidate.startswith("data:"):
                continue
            if reason := path_refusal(env, Path(env.srcdir, candidate)):
                error(logger, Subtype.REFUSED, reason, location=image)
                image.parent.remove(image)
                for chosen in image["candidates"].values():
                    if chosen in env.images:
                        env.images[chosen][0].discard(docname)
                        if not env.images[chosen][0]:
                            del env.images[chosen]
                break


#: URL schemes a link in an edition may use; a relative link has none.
LINK_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "ftps", "tel", "news", "irc", "xmpp"})


def refuse_unsafe_links(app: Sphinx, doctree: nodes.document) -> None:
    """No ``javascript:`` (or other scripting) links, and no ``<meta http-equiv>`` in pages."""
    for reference in list(doctree.findall(nodes.reference)):
        uri = reference.get("refuri", "")
        scheme = urlsplit(uri).scheme.lower()
        if len(scheme) > 1 and scheme not in LINK_SCHEMES:
            # Its text stays: a changelog may well mention a file: URL.
            warn(
                logger, Subtype.REFUSED, "refused a link to %s: %s: URLs are not linked",
                uri[:60], scheme, location=reference,
            )  # fmt: skip
            reference.replace_self(reference.children)
    for meta in list(doctree.findall(nodes.meta)):
        if "http-equiv" in meta.attributes or meta.get("http_equiv"):
            where = (app.env.current_document.docname, meta.line or 1)  # front matter: line 1
            # A "this page has moved" page still reads; it just does not redirect.
            warn(logger, Subtype.REFUSED, "refused a <meta http-equiv> element", location=where)
            meta.parent.remove(meta)


DIRECTIVES: dict[str, type[Directive]] = {
    "raw": ConfinedRaw,
    "csv-table": ConfinedCSVTable,
    "literalinclude": ConfinedLiteralInclude,
    "include": ConfinedInclude,
    "figure": ConfinedFigure,
}


def setup(app: Sphinx) -> None:
    for name, directive in DIRECTIVES.items():
        app.add_directive(name, directive, override=True)
    # Before Sphinx's image and download collectors (priority 500) note the files to copy.
    app.connect("doctree-read", refuse_foreign_files, priority=400)
    app.connect("doctree-read", refuse_foreign_candidates, priority=600)
    app.connect("doctree-read", refuse_unsafe_links, priority=400)
