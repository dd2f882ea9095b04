"""MyST that triptych cannot render becomes text, with one warning at its line; none is lost.

Jupyter Book and mystmd projects use directives, roles and links that only
their own tools (or extensions that are not installed) understand:

* ``{code-cell}`` is shown as the highlighted code it holds (nothing is
  executed; cells tagged ``remove-cell`` or ``remove-input`` stay hidden, as
  their author asked);
* any other unknown directive (in Markdown or in reST) is shown as a
  literal block of what it holds, an unknown role as literal text;
* an ``xref:`` link (to another mystmd project's pages) is its text;
* a reference that nothing resolved is its text in every edition, never a
  link to an anchor that does not exist; a link to a place another document
  does not have goes to that document; a raw HTML link to a place its page
  does not have is its text (a heading's MyST slug is taken for its id);
* a link to a document by its page's relative URL (``guide.html#part``),
  raw HTML or not, goes to that document in every edition;
* without sphinxcontrib-bibtex, ``{cite}`` roles show their keys and the
  ``{bibliography}`` is left out: the project was told once.
"""

from __future__ import annotations

import posixpath
import re
import textwrap
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote, urlsplit

from docutils import nodes
from docutils.parsers.rst import Directive, directives, roles
from sphinx import addnodes
from sphinx.parsers import RSTParser
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, is_directive_registered, is_role_registered

from triptych.diagnostics import Subtype, warn
from triptych.rawhtml import anchors_in, rewrite_start_tags

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from docutils.parsers.rst.states import Inliner
    from docutils.statemachine import StringList
    from docutils.utils import Reporter
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

UNKNOWN_CLASS = "triptych-unknown-syntax"


class AnyOptions(dict[str, "Callable[[str | None], Any]"]):
    """A directive option spec that takes every option as it is written."""

    def __missing__(self, key: str) -> Callable[[str | None], Any]:
        return directives.unchanged

    def __bool__(self) -> bool:
        # docutils and MyST look for options only when a directive has some.
        return True


#: Tags with which a notebook's author hides a cell's code from readers.
HIDDEN_CODE_TAGS = frozenset({"remove-cell", "remove-input"})
#: Kernel names that Pygments knows as Python.
PYTHON_KERNELS = frozenset({"ipython", "ipython3", "python3", "py3"})


def _tags(value: Any) -> set[str]:
    if isinstance(value, list | tuple):
        return {str(tag) for tag in value}
    return {tag for tag in re.split(r"[\s,\[\]\"']+", str(value or "")) if tag}


class CodeCell(SphinxDirective):
    """``{code-cell}``: the cell's code, highlighted; its outputs are not stored here."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Any]] = AnyOptions(tags=directives.unchanged)

    def run(self) -> list[nodes.Node]:
        if _tags(self.options.get("tags")) & HIDDEN_CODE_TAGS:
            return []
        code = "\n".join(self.content)
        language = (self.arguments[0].split()[0] if self.arguments else "") or str(
            self.config.highlight_language
        )
        if language.lower() in PYTHON_KERNELS:
            language = "python"
        block = nodes.literal_block(code, code, language=language, classes=["code-cell"])
        self.set_source_info(block)
        return [block]


def unknown_directive(
    name: str, argument: str, content: str, source: str, line: int
) -> nodes.Element:
    """A directive nothing renders, as a literal block of its argument and content."""
    warn(
        logger, Subtype.UNKNOWN_SYNTAX, "unknown directive {%s}: shown as its text", name,
        location=f"{source}:{line}",
    )  # fmt: skip
    written = "\n".join(part for part in (argument.strip(), content.strip("\n")) if part)
    block = nodes.literal_block(written, written, language="text", classes=[UNKNOWN_CLASS])
    block.source, block.line = source, line
    return block


def unknown_role(name: str, content: str, source: str, line: int) -> nodes.Element:
    """A role nothing renders, as literal text of its content."""
    warn(
        logger, Subtype.UNKNOWN_SYNTAX, "unknown role {%s}: shown as its text", name,
        location=f"{source}:{line}",
    )  # fmt: skip
    literal = nodes.literal(content, content, classes=[UNKNOWN_CLASS])
    literal.source, literal.line = source, line
    return literal


class UnknownDirective(Directive):
    """What a reST directive nothing provides runs as: its text, in a literal block."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Any]] = AnyOptions()

    def run(self) -> list[nodes.Node]:
        source, line = self.state_machine.get_source_and_line(self.lineno)
        written = textwrap.dedent("\n".join(self.block_text.splitlines()[1:]))
        argument = self.arguments[0] if self.arguments else ""
        return [unknown_directive(self.name, argument, written, str(source), line or self.lineno)]


def _unknown_role(
    name: str,
    _rawtext: str,
    text: str,
    lineno: int,
    inliner: Inliner,
    _options: dict[str, Any] | None = None,
    _content: list[str] | None = None,
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    source, line = inliner.reporter.get_source_and_line(lineno)
    return [unknown_role(name, text, str(source), line or lineno)], []


@contextmanager
def known_or_kept_as_text() -> Iterator[None]:
    """While reST is parsed, an unknown directive or role is kept as text, not an error."""
    find_directive, find_role = directives.directive, roles.role

    def directive(
        directive_name: str, language_module: Any, document: nodes.document
    ) -> tuple[Any, list[nodes.system_message]]:
        # Sphinx warns, without a line, about a name whose domain it does not know.
        with logging.suppress_logging():
            found, messages = find_directive(directive_name, language_module, document)
        return (found, messages) if found is not None else (UnknownDirective, [])

    def role(
        role_name: str, language_module: Any, lineno: int, reporter: Reporter
    ) -> tuple[Any, list[nodes.system_message]]:
        with logging.suppress_logging():
            found, messages = find_role(role_name, language_module, lineno, reporter)
        return (found, messages) if found is not None else (_unknown_role, [])

    directives.directive, roles.role = directive, role
    try:
        yield
    finally:
        directives.directive, roles.role = find_directive, find_role


class TriptychRSTParser(RSTParser):
    """Sphinx's reST parser, keeping what it cannot render as text."""

    def parse(self, inputstring: str | StringList, document: nodes.document) -> None:
        with known_or_kept_as_text():
            super().parse(inputstring, document)


class TableOfContents(SphinxDirective):
    """``{tableofcontents}`` in a document that lists nothing: nothing to show."""

    def run(self) -> list[nodes.Node]:
        return []


def unreachable_link(target: str, source: str, line: int) -> None:
    warn(
        logger, Subtype.UNKNOWN_SYNTAX,
        "%s names a page of another project, which triptych cannot reach: shown as text",
        target, location=f"{source}:{line}",
    )  # fmt: skip


class UnresolvedAsText(SphinxPostTransform):
    """A reference nothing resolved is its text, in every edition; so is markup docutils
    could not make sense of, which would link to a report no edition prints.

    MyST leaves an unresolved link as a reference to an anchor named after
    the target (it warned where the link is); no document holds that anchor,
    so it would be a dead link on the site and in the EPUB, and the PDF
    renderer refuses it.
    """

    #: After MyST's resolver (9) and Sphinx's (10).
    default_priority = 11

    def run(self, **_kwargs: Any) -> None:
        ids = {anchor for node in self.document.findall(nodes.Element) for anchor in node["ids"]}
        for reference in list(self.document.findall(nodes.reference)):
            if (
                "refid" in reference
                and "refuri" not in reference
                and not reference.get("internal")
                and reference["refid"] not in ids
            ):
                reference.replace_self(nodes.inline("", "", *reference.children))
        for problematic in self.document.findall(nodes.problematic):
            # Markup docutils could not make sense of links to its report, which Sphinx
            # removed from the document (``keep_warnings`` is off): the text stays, unlinked.
            if problematic.get("refid") and problematic["refid"] not in ids:
                del problematic["refid"]


class MissingAnchorToDocument(SphinxPostTransform):
    """A link to a place in another document that has no such place links to the document.

    MyST would warn and keep the link to an id nobody holds: dead on the site
    and in the EPUB, refused by the PDF renderer. The document exists, so
    the link goes to it, and the warning says which place was not found.
    """

    #: Before MyST's resolver (9).
    default_priority = 8

    def run(self, **_kwargs: Any) -> None:
        for node in list(self.document.findall(addnodes.pending_xref)):
            target = node.get("reftargetid")
            docname = node.get("reftarget", "")
            if (
                node.get("reftype") != "myst"
                or node.get("refdomain") != "doc"
                or not target
                or docname not in self.env.all_docs
                or target in self.anchors(docname)
            ):
                continue
            warn(
                logger, Subtype.UNKNOWN_SYNTAX,
                "%s has no heading or label %r: the link goes to the document",
                self.env.doc2path(docname).name, target, location=node,
            )  # fmt: skip
            node["reftargetid"] = None

    def anchors(self, docname: str) -> set[str]:
        """Every name a link may give a place in *docname* by: slugs, section ids, labels."""
        return set(places_in(self.env, docname))


def places_in(env: BuildEnvironment, docname: str) -> dict[str, str]:
    """Every name a link may give a place in *docname* by (slugs, section ids, labels),
    with the id of that place."""
    known: dict[str, str] = {}
    toc = env.tocs.get(docname)
    if toc is not None:
        for reference in toc.findall(nodes.reference):
            anchor = str(reference.get("anchorname", "")).lstrip("#")
            known[anchor] = anchor
    for slug, (_level, anchor, _text) in env.metadata[docname].get("myst_slugs", {}).items():
        known.update({slug: anchor, anchor: anchor})
    std = env.domaindata.get("std", {})
    for store in ("labels", "anonlabels"):
        for name, entry in std.get(store, {}).items():
            if entry[0] == docname:
                known.update({name: entry[1], entry[1]: entry[1]})
    return known


def settle_raw_links(app: Sphinx, doctree: nodes.document) -> None:
    """Raw HTML links within the page point at what the page has, or are text.

    The site and the EPUB would keep a dead link; the PDF renderer refuses
    it. A link by a heading's MyST slug (GitHub's, when it differs from the
    id) goes to that heading, as a Markdown link would.
    """
    raws = [raw for raw in doctree.findall(nodes.raw) if "html" in raw.get("format", "").split()]
    if not raws:
        return
    docname = app.env.current_document.docname
    anchors = {anchor for node in doctree.findall(nodes.Element) for anchor in node["ids"]}
    for raw in raws:
        anchors |= anchors_in(raw.astext())
    slugs = {
        slug: anchor
        for slug, (_level, anchor, _text) in app.env.metadata[docname].get("myst_slugs", {}).items()
    }
    source = str(app.env.doc2path(docname))
    for raw in raws:

        def settle(
            tag: str, attributes: list[tuple[str, str | None]], line: int, raw: nodes.raw = raw
        ) -> list[tuple[str, str | None]] | None:
            href = dict(attributes).get("href")
            if tag != "a" or href is None or not href.startswith("#"):
                return None
            fragment = unquote(href[1:])
            if fragment and fragment in anchors:
                return None
            if fragment in slugs:
                return [(n, "#" + slugs[fragment] if n == "href" else v) for n, v in attributes]
            warn(
                logger, Subtype.UNKNOWN_SYNTAX,
                "a link in raw HTML to %s, which this page does not have, is shown as text",
                href, location=f"{raw.source or source}:{(raw.line or 1) + line - 1}",
            )  # fmt: skip
            return [(name, value) for name, value in attributes if name != "href"]

        markup = raw.astext()
        settled = rewrite_start_tags(markup, settle)
        if settled != markup:
            raw[:] = [nodes.Text(settled)]


class RawLinksToDocuments(SphinxPostTransform):
    """A raw HTML link to another document by its name goes where the edition holds it.

    ``<a href="guide">``, ``guide.html`` or ``guide.md#part``, relative to the
    page, names a document; each edition has its own address for it (a page,
    a chapter file, a place in the one PDF document), which no raw HTML
    spells, so the address is written here, as for any reference.
    """

    #: With the other links that resolve at writing time.
    default_priority = 12

    def run(self, **_kwargs: Any) -> None:
        docname = self.env.current_document.docname
        here = posixpath.dirname(docname)
        for raw in list(self.document.findall(nodes.raw)):
            if "html" not in raw.get("format", "").split():
                continue

            def address(
                tag: str, attributes: list[tuple[str, str | None]], _line: int
            ) -> list[tuple[str, str | None]] | None:
                href = dict(attributes).get("href")
                target = document_named(self.env, here, href) if tag == "a" and href else None
                if target is None:
                    return None
                page, fragment = target
                uri = self.app.builder.get_relative_uri(docname, page)
                uri += f"#{fragment}" if fragment else ""
                return [(n, uri if n == "href" else v) for n, v in attributes]

            markup = raw.astext()
            addressed = rewrite_start_tags(markup, address)
            if addressed != markup:
                raw[:] = [nodes.Text(addressed)]


def document_named(env: BuildEnvironment, here: str, href: str) -> tuple[str, str] | None:
    """(document, fragment) that *href*, relative to the folder *here*, names, or None.

    ``guide``, ``guide.html`` (the site's page) and ``guide.md#part`` name the
    document ``guide``; so does ``guide/``, for its ``index``.
    """
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    path = posixpath.normpath(posixpath.join(here, unquote(parts.path)))
    path = "" if path == "." else path
    for suffix in (".html", *env.config.source_suffix):
        path = path.removesuffix(suffix)
    for name in (path, posixpath.join(path, "index")):
        if name in env.all_docs:
            return name, parts.fragment
    return None


class RelativeLinksToDocuments(SphinxPostTransform):
    """A link written as a relative URL to a document's page goes to that document.

    sphinx-design's ``{button-link} guide.html`` and a reST or Markdown link
    that myst takes for a URL are references to an address only the site
    has; a Markdown ``[text](guide.html)`` is a MyST reference to a target
    no domain knows. Both name a document, as a raw HTML link does
    (:class:`RawLinksToDocuments`), so each edition gets its own address for
    it, and the place a fragment names its id there.
    """

    #: Before the check of places in other documents (8) and MyST's resolver (9).
    default_priority = 7

    def run(self, **_kwargs: Any) -> None:
        docname = self.env.current_document.docname
        here = posixpath.dirname(docname)
        for xref in self.document.findall(addnodes.pending_xref):
            target = str(xref.get("reftarget", ""))
            if xref.get("reftype") != "myst" or xref.get("refdomain") == "doc":
                continue
            # Only the page's address: a bare name may as well be a label, which MyST finds.
            if urlsplit(target).path.endswith(".html") and (
                named := document_named(self.env, here, target)
            ):
                xref["refdomain"] = "doc"
                xref["reftarget"], xref["reftargetid"] = named[0], named[1] or None
        for reference in self.document.findall(nodes.reference):
            uri = reference.get("refuri")
            if not uri or reference.get("internal") or "refid" in reference:
                continue
            if (named := document_named(self.env, here, str(uri))) is None:
                continue
            page, fragment = named
            address = self.app.builder.get_relative_uri(docname, page)
            if fragment and (anchor := places_in(self.env, page).get(fragment)) is None:
                warn(
                    logger, Subtype.UNKNOWN_SYNTAX,
                    "%s has no heading or label %r: the link goes to the document",
                    self.env.doc2path(page).name, fragment, location=reference,
                )  # fmt: skip
            elif fragment:
                address += f"#{anchor}"
            reference["refuri"] = address
            reference["internal"] = True


# --- Citations without sphinxcontrib-bibtex ---------------------------------------------

CITE_ROLES = (
    "cite", "cite:p", "cite:t", "cite:ps", "cite:ts", "cite:ct", "cite:cp", "cite:ct",
    "cite:alp", "cite:alps", "cite:author", "cite:authors", "cite:year", "cite:label",
    "cite:empty", "footcite", "footcite:p", "footcite:t", "footcite:ps", "footcite:ts",
)  # fmt: skip
BIBLIOGRAPHY_DIRECTIVES = ("bibliography", "footbibliography")


def citation_keys(
    _name: str,
    rawtext: str,
    text: str,
    _lineno: int,
    _inliner: Inliner,
    *_args: Any,
    **_kwargs: Any,
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """A citation shown as its keys: ``[smith2020; doe2021]``."""
    keys = "; ".join(key.strip() for key in text.split(",") if key.strip())
    return [nodes.inline(rawtext, f"[{keys}]", classes=["triptych-citation-keys"])], []


class NoBibliography(SphinxDirective):
    """Where the bibliography would be: nothing can be printed without its entries."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Any]] = AnyOptions(filter=directives.unchanged)

    def run(self) -> list[nodes.Node]:
        return []


def register_fallbacks(app: Sphinx) -> None:
    """Add what no extension provided, once every extension is set up."""
    if not is_directive_registered("code-cell"):
        app.add_directive("code-cell", CodeCell)
    if app.config.triptych_toctrees and not is_directive_registered("tableofcontents"):
        # Where a project's document has contents, they replaced the directive when it was read.
        app.add_directive("tableofcontents", TableOfContents)
    if app.config.triptych_bibliography:
        for role in dict.fromkeys(CITE_ROLES):
            if not is_role_registered(role):
                app.add_role(role, citation_keys)
        for directive in BIBLIOGRAPHY_DIRECTIVES:
            if not is_directive_registered(directive):
                app.add_directive(directive, NoBibliography)


def setup(app: Sphinx) -> None:
    app.add_source_parser(TriptychRSTParser, override=True)
    app.connect("builder-inited", register_fallbacks)
    # After the sanitiser (400): it may have removed links or ids.
    app.connect("doctree-read", settle_raw_links, priority=500)
    app.add_post_transform(MissingAnchorToDocument)
    app.add_post_transform(RawLinksToDocuments)
    app.add_post_transform(RelativeLinksToDocuments)
    app.add_post_transform(UnresolvedAsText)
