"""The publication's index: Sphinx's index entries, and the articles' uses of glossary terms.

Sphinx collects the ``{index}`` directive and role, and the terms of every
glossary, in its index domain. With ``triptych_index_terms`` (the default)
the sections that use a glossary term are added there too, after reading
(:func:`add_term_uses`), so the site's general index lists them as well. The
:class:`IndexSections` domain notes, while each document is read, the section
each index target stands in, so that the EPUB can name its locators and every
edition can list them in reading order.

:func:`publication_index` groups the entries the way Sphinx's general index
does (letters, sub-entries, "see" references); the PDF prints it with page
numbers, the EPUB as an index document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from docutils import nodes
from sphinx import addnodes
from sphinx.domains import Domain
from sphinx.environment.adapters.indexentries import IndexEntries

from triptych.documents import publication_order, title_of
from triptych.glossary.domain import glossary_domain

if TYPE_CHECKING:
    from collections.abc import Sequence
    from collections.abc import Set as AbstractSet

    from sphinx.addnodes import pending_xref
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.environment import BuildEnvironment

#: The title of the back-of-book index, in the PDF and the EPUB alike.
INDEX_TITLE = "Index"

#: An entry of Sphinx's index domain: (type, value, target id, "main" or "", category key).
SphinxIndexEntry = tuple[str, str, str, str, str | None]

SEE_PREFIXES = ("see also ", "see ")


@dataclass(frozen=True)
class Locator:
    """Where an index entry points: an anchor in a document, in one of its sections."""

    docname: str
    anchor: str
    main: bool
    section_title: str
    """The title of the section the anchor stands in; the document's title at its top."""
    order: tuple[int, int]
    """(the document's place in the publication, the section's place in the document)."""


@dataclass(frozen=True)
class IndexEntry:
    """A heading of the index, its locators in reading order, its sub-entries and references."""

    term: str
    locators: tuple[Locator, ...]
    subentries: tuple[IndexEntry, ...] = ()
    see: tuple[str, ...] = ()
    """Cross-references as written: "see X", "see also Y"."""


@dataclass(frozen=True)
class IndexGroup:
    letter: str
    entries: tuple[IndexEntry, ...]


class IndexSections(Domain):
    """For each document: its sections in order, and the section each index target stands in."""

    name = "triptych-index"
    label = "triptych index"
    initial_data = {  # noqa: RUF012 - Sphinx copies it into each environment
        "sections": {},  # docname -> [(section id, title)]
        "targets": {},  # docname -> {target id: section id}
        "term_uses": {},  # docname -> {anchor: section id}, for the entries add_term_uses made
        "term_entries": {},  # docname -> [SphinxIndexEntry] add_term_uses made
    }

    def clear_doc(self, docname: str) -> None:
        for table in ("sections", "targets"):
            self.data[table].pop(docname, None)

    def merge_domaindata(self, docnames: AbstractSet[str], otherdata: dict[str, Any]) -> None:
        for table in ("sections", "targets"):
            for docname in docnames:
                if docname in otherdata[table]:
                    self.data[table][docname] = otherdata[table][docname]

    def process_doc(self, env: BuildEnvironment, docname: str, document: nodes.document) -> None:
        self.data["sections"][docname] = [
            (str(section["ids"][0]), section[0].astext() if section.children else "")
            for section in document.findall(nodes.section)
            if section["ids"]
        ]
        targets: dict[str, str] = {}
        for index in document.findall(addnodes.index):
            section = _enclosing_section(index)
            for entry in index["entries"]:
                targets[str(entry[2])] = str(section["ids"][0]) if section is not None else ""
        self.data["targets"][docname] = targets

    def resolve_any_xref(  # noqa: PLR0917 - Sphinx's signature
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> list[tuple[str, nodes.reference]]:
        # No reference names an index location; MyST asks every domain about its links.
        return []

    def section_of(self, docname: str, anchor: str) -> str:
        """The id of the section *anchor* stands in, or "" when not known."""
        return str(
            self.data["targets"].get(docname, {}).get(anchor)
            or self.data["term_uses"].get(docname, {}).get(anchor, "")
        )

    def sections(self, docname: str) -> list[tuple[str, str]]:
        return list(self.data["sections"].get(docname, []))


def _enclosing_section(node: nodes.Node) -> nodes.section | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.section):
        parent = parent.parent
    return parent


def index_sections(env: BuildEnvironment) -> IndexSections:
    domain = env.domains["triptych-index"]
    assert isinstance(domain, IndexSections)
    return domain


def add_term_uses(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Add each section's use of a glossary term to Sphinx's index, under the entry's first term.

    Runs after the glossary's usages are found; replaces what the last build added.
    """
    sections = index_sections(env)
    entries = env.domains.index_domain.entries
    glossary = glossary_domain(env)
    for docname, added in list(sections.data["term_entries"].items()):
        current = entries.get(docname, [])
        for entry in added:
            if entry in current:
                current.remove(entry)
    sections.data["term_entries"] = {}
    sections.data["term_uses"] = {}
    if not app.config.triptych_index_terms:
        return []
    terms = glossary.index.entries
    for docname, uses in sorted(glossary.usages_by_doc.items()):
        new: list[SphinxIndexEntry] = []
        for use in uses:
            entry = terms.get(use.entry)
            if entry is None or not use.anchor:
                continue
            new.append(("single", entry.terms[0], use.anchor, "", None))
            sections.data["term_uses"].setdefault(docname, {})[use.anchor] = use.section_id
        if new:
            entries.setdefault(docname, []).extend(new)
            sections.data["term_entries"][docname] = new
    return []


class _DocumentLinks:
    """Stands in for a builder so that Sphinx's index names each target ``<docname>#<id>``."""

    def get_relative_uri(self, _from: str, to: str, typ: str | None = None) -> str:
        return to


def publication_index(env: BuildEnvironment) -> list[IndexGroup]:
    """The index of the publication, grouped by letter, each entry's locators in reading order."""
    order = {docname: position for position, docname in enumerate(publication_order(env))}
    sections = index_sections(env)
    section_places = {
        docname: {section_id: (place, title) for place, (section_id, title) in enumerate(listed)}
        for docname, listed in sections.data["sections"].items()
    }

    def locators(targets: Sequence[tuple[str | None, str | bool]]) -> tuple[Locator, ...]:
        found = []
        for main, uri in targets:
            if not isinstance(uri, str) or "#" not in uri:
                continue
            docname, anchor = uri.split("#", 1)
            if docname not in order:
                continue  # a document outside the publication's reading order
            section_id = sections.section_of(docname, anchor)
            place, title = section_places.get(docname, {}).get(section_id, (0, ""))
            found.append(
                Locator(
                    docname=docname, anchor=anchor, main=bool(main),
                    section_title=title or title_of(env, docname),
                    order=(order[docname], place),
                )
            )  # fmt: skip
        return tuple(sorted(found, key=lambda locator: locator.order))

    builder = cast("Builder", _DocumentLinks())
    groups = []
    for letter, items in IndexEntries(env).create_index(builder):
        entries = []
        for term, (targets, subitems, _category) in items:
            see = tuple(sub for sub, sub_targets in subitems if _is_see(sub, sub_targets))
            subentries = tuple(
                IndexEntry(sub, locators(sub_targets))
                for sub, sub_targets in subitems
                if not _is_see(sub, sub_targets) and locators(sub_targets)
            )
            own = locators(targets)
            if own or subentries or see:
                entries.append(IndexEntry(term, own, subentries, see))
        if entries:
            groups.append(IndexGroup(letter, tuple(entries)))
    return groups


def _is_see(text: str, targets: list[Any]) -> bool:
    return not targets and text.startswith(SEE_PREFIXES)


def link_general_index(app: Sphinx, doctree: nodes.document) -> None:
    """Put the site's general index in its navigation, after the root document's own entries.

    A hidden toctree: no edition prints it in the page, the site's sidebar lists it.
    """
    env = app.env
    if env.current_document.docname != app.config.root_doc or not app.config.html_use_index:
        return
    toctree = addnodes.toctree(
        entries=[(None, "genindex")], includefiles=[], maxdepth=1, hidden=True, glob=False,
        caption=None, titlesonly=False, numbered=0, includehidden=False, rawentries=[],
        parent=env.current_document.docname,
    )  # fmt: skip
    doctree += nodes.compound("", toctree, classes=["toctree-wrapper"])


def setup(app: Sphinx) -> None:
    app.add_config_value("triptych_index_terms", True, "env", types=frozenset({bool}))
    app.add_domain(IndexSections)
    app.connect("doctree-read", link_general_index)
    # After the glossary has found the usages (priority 500).
    app.connect("env-updated", add_term_uses, priority=600)
