"""The glossary as a Sphinx domain: entries and usages, keyed by document.

Entries are collected while each document is read (in parallel under ``-j``)
and merged by :meth:`GlossaryDomain.merge_domaindata`. Usages need every
entry, so they are found after reading, in the main process
(:func:`record_usages`), for the documents read in this build, or for all of
them when the set of terms changed.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.domains import Domain
from sphinx.util.nodes import make_refnode

from triptych.documents import unwritten_nodes
from triptych.glossary.terms import GlossaryEntry, TermIndex
from triptych.glossary.usages import TermUsage, usages

if TYPE_CHECKING:
    from collections.abc import Set as AbstractSet

    from sphinx.addnodes import pending_xref
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.environment import BuildEnvironment


def entries_in(docname: str, doctree: nodes.Node) -> list[GlossaryEntry]:
    entries = []
    for glossary in doctree.findall(nodes.definition_list):
        if "glossary" not in glossary["classes"]:
            continue
        for item in glossary.findall(nodes.definition_list_item):
            terms = [child for child in item.children if isinstance(child, nodes.term)]
            definitions = [child for child in item.children if isinstance(child, nodes.definition)]
            if not terms or not all(term["ids"] for term in terms):
                continue
            entries.append(
                GlossaryEntry(
                    docname=docname,
                    lineno=terms[0].line,
                    terms=tuple(term.astext() for term in terms),
                    term_ids=tuple(term["ids"][0] for term in terms),
                    definition=" ".join(definitions[0].astext().split()) if definitions else "",
                )
            )
    return entries


class GlossaryDomain(Domain):
    """Glossary entries and where the articles use them."""

    name = "triptych"
    label = "triptych glossary"
    initial_data = {  # noqa: RUF012 - Sphinx copies it into each environment
        "entries": {},  # docname -> [GlossaryEntry]
        "usages": {},  # docname -> [TermUsage]
        "usages_digest": {},  # docname -> digest of the terms its usages were found with
    }

    @property
    def entries_by_doc(self) -> dict[str, list[GlossaryEntry]]:
        return self.data["entries"]  # type: ignore[no-any-return]

    @property
    def usages_by_doc(self) -> dict[str, list[TermUsage]]:
        return self.data["usages"]  # type: ignore[no-any-return]

    def all_entries(self) -> list[GlossaryEntry]:
        return [e for doc in sorted(self.entries_by_doc) for e in self.entries_by_doc[doc]]

    def digest(self) -> str:
        described = sorted((e.key, e.terms, e.docname) for e in self.all_entries())
        return hashlib.sha256(repr(described).encode()).hexdigest()

    @property
    def index(self) -> TermIndex:
        digest = self.digest()
        cached = getattr(self, "_cached_index", None)
        if cached is None or cached[0] != digest:
            cached = (digest, TermIndex(self.all_entries()))
            self._cached_index: tuple[str, TermIndex] = cached
        return cached[1]

    def glossary_docs(self) -> set[str]:
        return {doc for doc, entries in self.entries_by_doc.items() if entries}

    def entry_for_id(self, term_id: str, docname: str | None = None) -> GlossaryEntry | None:
        """The entry one of whose terms has *term_id*, in *docname* when given."""
        for doc, entries in self.entries_by_doc.items():
            if docname is not None and doc != docname:
                continue
            for entry in entries:
                if term_id in entry.term_ids:
                    return entry
        return None

    def usages_of(self, key: str) -> list[TermUsage]:
        return [u for doc in self.usages_by_doc for u in self.usages_by_doc[doc] if u.entry == key]

    def clear_doc(self, docname: str) -> None:
        for table in ("entries", "usages", "usages_digest"):
            self.data[table].pop(docname, None)

    def merge_domaindata(self, docnames: AbstractSet[str], otherdata: dict[str, Any]) -> None:
        for table in ("entries", "usages", "usages_digest"):
            for docname in docnames:
                if docname in otherdata[table]:
                    self.data[table][docname] = otherdata[table][docname]

    def process_doc(self, env: BuildEnvironment, docname: str, document: nodes.document) -> None:
        self.entries_by_doc[docname] = entries_in(docname, document)

    def resolve_xref(  # noqa: PLR0917 - Sphinx's signature
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        typ: str,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> nodes.reference | None:
        # Back-references from the glossary to the anchors of term usages.
        if typ != "use" or "triptych-docname" not in node:
            return None
        return make_refnode(builder, fromdocname, node["triptych-docname"], target, contnode)

    def resolve_any_xref(  # noqa: PLR0917 - Sphinx's signature
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> list[tuple[str, nodes.reference]]:
        return []


def glossary_domain(env: BuildEnvironment) -> GlossaryDomain:
    domain = env.domains["triptych"]
    assert isinstance(domain, GlossaryDomain)
    return domain


def record_usages(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Find usages for documents read in this build, or for all when the terms changed
    (or what the writers leave out).

    Returns the documents to write again: those whose links change with the
    terms, and the glossary pages when any back-reference changed.
    """
    domain = glossary_domain(env)
    unwritten = unwritten_nodes(app.config)
    # What the writers leave out can change with an option that reads no document again.
    digest = f"{domain.digest()} {sorted(unwritten)}"
    index = domain.index
    glossary_docs = domain.glossary_docs()
    before = {doc: list(found) for doc, found in domain.usages_by_doc.items()}
    rescanned = []
    for docname in sorted(env.found_docs):
        if domain.data["usages_digest"].get(docname) == digest:
            continue
        found = []
        if index:
            doctree = env.get_doctree(docname)
            found = usages(
                docname, doctree, index, app.config.triptych_autolink_terms, unwritten,
                glossary_page=docname in glossary_docs,
            )  # fmt: skip
        domain.usages_by_doc[docname] = found
        domain.data["usages_digest"][docname] = digest
        rescanned.append(docname)
    for docname in set(domain.usages_by_doc) - set(env.found_docs):
        del domain.usages_by_doc[docname]
    changed = domain.usages_by_doc != before
    return sorted(set(rescanned) | (glossary_docs if changed else set()))
