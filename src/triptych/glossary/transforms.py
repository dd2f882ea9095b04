"""Rendering the glossary in each edition: term links, expansions, back-references, previews.

All of it happens on the doctree at writing time, from what the environment
recorded, so the three editions show the same links and the same numbers.
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from triptych.documents import (
    HTML_ATTRIBUTES,
    SITE_BUILDERS,
    publication_order,
    title_of,
    unwritten_nodes,
)
from triptych.glossary.domain import glossary_domain
from triptych.glossary.usages import Occurrence, plan, starts_sentence

if TYPE_CHECKING:
    from triptych.glossary.domain import GlossaryDomain
    from triptych.glossary.terms import GlossaryEntry
    from triptych.glossary.usages import TermUsage

PREVIEW_LENGTH = 240
#: On the site: the element after the article holding the definitions its term links preview.
PREVIEWS_CLASS = "triptych-term-previews"
#: One definition in it; a term link names it with ``aria-describedby``.
PREVIEW_CLASS = "triptych-term-preview"
#: The paragraph under a glossary definition that lists where the term is used.
BACKREFS_CLASS = "triptych-backrefs"

#: An abbreviation the glossary marks after expanding it at its first use.
GLOSSARY_ABBREVIATION_CLASS = "triptych-term-abbr"


def used_in(groups: list[list[nodes.Node]]) -> nodes.paragraph:
    """The back-reference line, "Used in A: x, A: y; B.", from links grouped by article."""
    paragraph = nodes.paragraph("", "Used in ", classes=[BACKREFS_CLASS])
    for index, group in enumerate(groups):
        if index:
            paragraph += nodes.Text("; ")
        for position, link in enumerate(group):
            if position:
                paragraph += nodes.Text(", ")
            paragraph += link
    paragraph += nodes.Text(".")
    return paragraph


def _term_xref(text: str, target: str, anchor: str, docname: str) -> addnodes.pending_xref:
    inline = nodes.inline(text, text, classes=["xref", "std", "std-term"])
    if anchor:
        inline["ids"].append(anchor)
    return addnodes.pending_xref(
        "", inline, refdomain="std", reftype="term", reftarget=target,
        refexplicit=True, refwarn=True, refdoc=docname,
    )  # fmt: skip


def _rendered_text(occurrence: Occurrence) -> list[nodes.Node]:
    entry = occurrence.entry
    if occurrence.expand:
        expansion = entry.expansion_in_sentence(starts_sentence(occurrence))
        text = f"{expansion} ({entry.abbreviation})"
        return [nodes.Text(text)]
    if occurrence.mark_abbreviation:
        # The class tells print it was expanded before, unlike an author's own {abbr}.
        return [
            nodes.abbreviation(
                occurrence.text, occurrence.text, explanation=entry.expansion,
                classes=[GLOSSARY_ABBREVIATION_CLASS],
            )
        ]  # fmt: skip
    return [nodes.Text(occurrence.text)]


def _apply_to_xref(occurrence: Occurrence) -> None:
    xref = occurrence.node
    assert isinstance(xref, addnodes.pending_xref)
    content = xref[0] if xref.children and isinstance(xref[0], nodes.Element) else None
    if content is None:
        return
    if occurrence.expand or occurrence.mark_abbreviation:
        # The rendering reads the occurrence's text from the node: take it before emptying it.
        rendered = _rendered_text(occurrence)
        content.children = []
        content.extend(rendered)
    if occurrence.anchor:
        content["ids"].append(occurrence.anchor)


def _apply_to_text(text_node: nodes.Text, occurrences: list[Occurrence], docname: str) -> None:
    text = text_node.astext()
    replacement: list[nodes.Node] = []
    position = 0
    for occurrence in occurrences:
        if occurrence.start > position:
            replacement.append(nodes.Text(text[position : occurrence.start]))
        if occurrence.link:
            target = " ".join(occurrence.text.split())  # the term may wrap across lines
            xref = _term_xref("", target, occurrence.anchor, docname)
            content = xref[0]
            assert isinstance(content, nodes.Element)
            content.children = []
            content.extend(_rendered_text(occurrence))
            replacement.append(xref)
        else:
            replacement.extend(_rendered_text(occurrence))
        position = occurrence.end
    if position < len(text):
        replacement.append(nodes.Text(text[position:]))
    text_node.parent.replace(text_node, replacement)


class TermOccurrences(SphinxPostTransform):
    """Link, expand and mark the terms of an article; list the back-references in the glossary.

    Runs before references are resolved, so the links it adds resolve like
    the author's own ``{term}`` roles.
    """

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        domain = glossary_domain(self.env)
        docname = self.env.current_document.docname
        glossary_page = docname in domain.glossary_docs()
        if glossary_page:
            self.add_back_references(domain)
        if not domain.index:
            return
        occurrences = plan(
            self.document,
            domain.index,
            self.config.triptych_autolink_terms,
            unwritten_nodes(self.config),
            glossary_page=glossary_page,
        )
        plain: dict[int, tuple[nodes.Text, list[Occurrence]]] = {}
        for occurrence in occurrences:
            if occurrence.explicit:
                _apply_to_xref(occurrence)
            elif occurrence.link or occurrence.expand or occurrence.mark_abbreviation:
                assert isinstance(occurrence.node, nodes.Text)
                plain.setdefault(id(occurrence.node), (occurrence.node, []))[1].append(occurrence)
        for text_node, found in plain.values():
            _apply_to_text(text_node, found, docname)

    def add_back_references(self, domain: GlossaryDomain) -> None:
        order = {doc: position for position, doc in enumerate(publication_order(self.env))}
        for item in self.document.findall(nodes.definition_list_item):
            terms = [child for child in item.children if isinstance(child, nodes.term)]
            definitions = [child for child in item.children if isinstance(child, nodes.definition)]
            if not terms or not definitions or not terms[0]["ids"]:
                continue
            entry = domain.entry_for_id(terms[0]["ids"][0], self.env.current_document.docname)
            if entry is None:
                continue
            uses = sorted(domain.usages_of(entry.key), key=lambda u: order.get(u.docname, 1 << 30))
            if uses:
                definitions[0] += self.back_references(uses, set(order))

    def back_references(self, uses: list[TermUsage], book: set[str]) -> list[nodes.Node]:
        """Section links for the site and the EPUB; linked page numbers for the PDF.

        The site has every page; the books only those their contents reach (*book*). A use
        on another page has nowhere to link in a book: the PDF would print an empty page
        number, the EPUB a title that leads nowhere.
        """
        in_book = [use for use in uses if use.docname in book]
        variants: list[nodes.Node] = []
        if in_book:
            variants.append(addnodes.only("", self.in_print(in_book), expr="builder_pdf"))
        if len(in_book) == len(uses):
            variants.append(addnodes.only("", self.on_screen(uses), expr="not builder_pdf"))
            return variants
        if in_book:
            variants.append(addnodes.only("", self.on_screen(in_book), expr="builder_ebook"))
        site = "not builder_pdf and not builder_ebook"
        variants.append(addnodes.only("", self.on_screen(uses), expr=site))
        return variants

    def on_screen(self, uses: list[TermUsage]) -> nodes.paragraph:
        """ "Used in A: x, A: y; B.": a link to each section, under its article's title."""
        groups = []
        for docname, group in groupby(uses, key=lambda u: u.docname):
            article = title_of(self.env, docname)
            groups.append(
                [
                    self.use_link(
                        use,
                        article
                        if use.section_title == article
                        else f"{article}: {use.section_title}",
                    )
                    for use in group
                ]
            )
        return used_in(groups)

    def in_print(self, uses: list[TermUsage]) -> nodes.paragraph:
        """ "Used on pages 4, 7.": a linked page number for each use."""
        # Each item carries its separator, so the PDF builder can drop an item whose page
        # number repeats the one before it.
        lead = "Used on page " if len(uses) == 1 else "Used on pages "
        paragraph = nodes.paragraph("", lead, classes=[BACKREFS_CLASS])
        for index, use in enumerate(uses):
            item = nodes.inline(classes=["triptych-backref"])
            if index:
                item += nodes.Text(", ")
            item += self.use_link(use, "", classes=["triptych-page-number"])
            paragraph += item
        paragraph += nodes.Text(".")
        return paragraph

    def use_link(self, use: TermUsage, text: str, classes: list[str] | None = None) -> nodes.Node:
        xref = addnodes.pending_xref(
            "", nodes.inline(text, text, classes=classes or []),
            refdomain="triptych", reftype="use", reftarget=use.anchor, refexplicit=True,
            refwarn=True, refdoc=self.env.current_document.docname,
        )  # fmt: skip
        xref["triptych-docname"] = use.docname
        return xref


#: Set on the content of a term link before it is resolved: the key of the entry it names.
ENTRY_KEY = "triptych-entry"


class MarkTermEntries(SphinxPostTransform):
    """Notes on each term link which entry it names, while its target is still known."""

    default_priority = 9  # before references are resolved (10)
    builders: ClassVar[tuple[str, ...]] = SITE_BUILDERS  # type: ignore[misc]

    def run(self, **kwargs: Any) -> None:
        domain = glossary_domain(self.env)
        for xref in self.document.findall(addnodes.pending_xref):
            if xref.get("refdomain") != "std" or xref.get("reftype") != "term":
                continue
            entry = domain.index.lookup(" ".join(str(xref["reftarget"]).split()))
            content = xref[0] if xref.children else None
            if entry is not None and isinstance(content, nodes.Element):
                content[ENTRY_KEY] = entry.key


class TermPreviews(SphinxPostTransform):
    """On the site, a term link is described by its definition, shown on hover, focus and tap.

    The definitions are not the article's text: each is written once per page, after
    the article, in an element kept hidden and out of the search index, which the
    links name with ``aria-describedby``. A screen reader announces it as the link's
    description, copying a paragraph leaves it out, and the site's script
    (``triptych.js``) shows it as a tooltip beside the link.
    """

    default_priority = 20
    builders: ClassVar[tuple[str, ...]] = SITE_BUILDERS  # type: ignore[misc]

    def run(self, **kwargs: Any) -> None:
        domain = glossary_domain(self.env)
        previews = nodes.container(classes=[PREVIEWS_CLASS, "no-search"])
        preview_ids: dict[str, str] = {}  # entry key to the id of its preview on this page
        for reference in self.document.findall(nodes.reference):
            if not any(
                "std-term" in child.get("classes", [])
                for child in reference.children
                if isinstance(child, nodes.Element)
            ):
                continue
            entry = self.entry_linked(domain, reference)
            if entry is None or not entry.definition:
                continue
            if entry.key not in preview_ids:
                preview = self.preview(entry, self.unused_id(len(preview_ids) + 1))
                previews += preview
                preview_ids[entry.key] = preview["ids"][0]
            reference["classes"].append("triptych-term")
            reference[HTML_ATTRIBUTES] = {"aria-describedby": preview_ids[entry.key]}
        if preview_ids:
            self.document += previews

    def unused_id(self, number: int) -> str:
        while (candidate := f"triptych-preview-{number}") in self.document.ids:
            number += 1
        return candidate

    def preview(self, entry: GlossaryEntry, preview_id: str) -> nodes.container:
        definition = entry.definition
        if len(definition) > PREVIEW_LENGTH:
            definition = definition[:PREVIEW_LENGTH].rsplit(" ", 1)[0] + "…"
        preview = nodes.container(
            "", nodes.paragraph(definition, definition), ids=[preview_id], classes=[PREVIEW_CLASS]
        )
        preview[HTML_ATTRIBUTES] = {"role": "tooltip", "hidden": "hidden"}
        self.document.ids[preview_id] = preview
        return preview

    @staticmethod
    def entry_linked(domain: GlossaryDomain, reference: nodes.reference) -> GlossaryEntry | None:
        """The entry a term link names, as noted before it was resolved."""
        for child in reference.children:
            if isinstance(child, nodes.Element) and child.get(ENTRY_KEY):
                return domain.index.entries.get(str(child[ENTRY_KEY]))
        return None
