"""Where each article uses a glossary term, and what is done to each occurrence.

One walk over a document decides, in reading order, which occurrences are
references (explicit ``{term}`` roles, and the first plain-text occurrence of
each term when auto-linking is on), which occurrence of an abbreviation is
expanded, which are marked as abbreviations, and which carry the anchor that
the glossary's back-references point at. The environment records the result
after reading; the post-transform repeats the same walk at writing time, so
the two always agree, in every edition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx import addnodes

from triptych.documents import BYLINE, UNWRITTEN

if TYPE_CHECKING:
    from triptych.glossary.terms import GlossaryEntry, TermIndex

#: Text inside these (headings, table headers, links, code, ...) is never linked, expanded or marked.
EXCLUDED = (
    nodes.title,
    nodes.subtitle,
    nodes.rubric,
    nodes.thead,
    nodes.reference,
    addnodes.pending_xref,
    nodes.literal,
    nodes.literal_block,
    nodes.doctest_block,
    nodes.raw,
    nodes.abbreviation,
    nodes.term,
    nodes.comment,
    nodes.target,
    nodes.math,
    nodes.math_block,
    nodes.image,
    nodes.substitution_definition,
    nodes.system_message,
    nodes.problematic,
    addnodes.toctree,
    addnodes.only,
)


@dataclass(frozen=True)
class TermUsage:
    """A section of an article that refers to a glossary entry."""

    entry: str
    docname: str
    section_id: str
    section_title: str
    anchor: str
    """Id of the first reference to the entry in that section."""


@dataclass
class Occurrence:
    entry: GlossaryEntry
    node: nodes.Node
    """The ``{term}`` pending_xref, or the Text node holding a plain occurrence."""
    start: int = 0
    end: int = 0
    explicit: bool = True
    link: bool = False
    expand: bool = False
    mark_abbreviation: bool = False
    anchor: str = ""
    section: nodes.section | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        if self.explicit:
            return self.node.astext()
        return self.node.astext()[self.start : self.end]


def _excluded(node: nodes.Node, unwritten: frozenset[str]) -> bool:
    parent = node.parent
    while parent is not None:
        # A byline is title-page material: the PDF and the EPUB drop it from the text.
        if isinstance(parent, EXCLUDED) or BYLINE in parent.get("classes", ()):
            return True
        # What no writer writes is no use: a link or a back-reference there leads nowhere.
        if type(parent).__name__ in unwritten or parent.get(UNWRITTEN):
            return True
        parent = parent.parent
    return False


def _in_glossary(node: nodes.Node) -> bool:
    """Whether *node* is in a glossary's list of terms (the ``{glossary}`` directive's, or a
    definition list of the class ``glossary``)."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent, addnodes.glossary) or (
            isinstance(parent, nodes.definition_list) and "glossary" in parent["classes"]
        ):
            return True
        parent = parent.parent
    return False


def _section(node: nodes.Node) -> nodes.section | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.section):
        parent = parent.parent
    return parent


def _is_term_xref(node: nodes.Node) -> bool:
    return (
        isinstance(node, addnodes.pending_xref)
        and node.get("refdomain") == "std"
        and node.get("reftype") == "term"
    )


def _sibling(node: nodes.Node, offset: int) -> nodes.Node | None:
    parent = node.parent
    if parent is None:
        return None
    position = parent.index(node) + offset
    return parent[position] if 0 <= position < len(parent) else None


def _text_before(occurrence: Occurrence) -> str:
    if not occurrence.explicit:
        before = occurrence.node.astext()[: occurrence.start]
        node = occurrence.node
    else:
        before, node = "", occurrence.node
    if before.strip():
        return before
    previous = _sibling(node, -1)
    return (previous.astext() if previous is not None else "") + before


def starts_sentence(occurrence: Occurrence) -> bool:
    """Whether the occurrence opens a sentence (or a paragraph, cell or list item)."""
    before = _text_before(occurrence).rstrip()
    return not before or before.endswith((".", "!", "?"))


def _text_after(occurrence: Occurrence) -> str:
    if not occurrence.explicit:
        return occurrence.node.astext()[occurrence.end :]
    following = _sibling(occurrence.node, 1)
    return following.astext() if following is not None else ""


def _poor_place_to_expand(occurrence: Occurrence) -> bool:
    """A possessive ("NATO's") cannot take an expansion in brackets; the next use will."""
    return _text_after(occurrence).startswith(("'s", "\u2019s"))


def _already_expanded(occurrence: Occurrence) -> bool:
    """True when the author wrote "Expansion (ABBR" around this occurrence already."""
    expansion = occurrence.entry.expansion or ""
    before = " ".join(_text_before(occurrence).split()).lower()
    return before.endswith(f"{expansion} (".lower())


def _join_text(doctree: nodes.Node) -> None:
    """Merge neighbouring Text nodes: MyST gives each soft line break its own."""
    for element in doctree.findall(nodes.Element):
        children = element.children
        if sum(isinstance(child, nodes.Text) for child in children) < 2:
            continue
        merged: list[nodes.Node] = []
        for child in children:
            if merged and isinstance(child, nodes.Text) and isinstance(merged[-1], nodes.Text):
                merged[-1] = nodes.Text(merged[-1].astext() + child.astext())
            else:
                merged.append(child)
        if len(merged) != len(children):
            element.children = []
            element.extend(merged)


def _found(
    doctree: nodes.Node, index: TermIndex, unwritten: frozenset[str], *, glossary_page: bool
) -> list[Occurrence]:
    """The occurrences :func:`plan` decides about, in reading order."""
    _join_text(doctree)
    occurrences: list[Occurrence] = []
    for node in doctree.findall(lambda n: isinstance(n, nodes.Text | addnodes.pending_xref)):
        if glossary_page and (not _is_term_xref(node) or _in_glossary(node)):
            continue
        if isinstance(node, addnodes.pending_xref) and _is_term_xref(node):
            entry = index.lookup(str(node["reftarget"]))
            if entry is not None and not _excluded(node, unwritten):
                occurrences.append(Occurrence(entry, node, section=_section(node)))
        elif isinstance(node, nodes.Text) and not _excluded(node, unwritten):
            occurrences.extend(
                Occurrence(entry, node, start, end, explicit=False, section=_section(node))
                for start, end, entry in index.find(node.astext())
            )
    return occurrences


def plan(
    doctree: nodes.Node,
    index: TermIndex,
    autolink: bool,
    unwritten: frozenset[str],
    *,
    glossary_page: bool = False,
) -> list[Occurrence]:
    """Every occurrence of a term in *doctree*, in reading order, with what to do to it.

    Occurrences inside *unwritten* nodes (class names, see
    :func:`triptych.documents.unwritten_nodes`) are left out: no edition shows them. On a
    *glossary_page*, only the ``{term}`` references outside its glossaries count: a page that
    defines terms and uses them in its prose (a typography guide) uses them.
    """
    occurrences = _found(doctree, index, unwritten, glossary_page=glossary_page)
    referenced: set[str] = set()
    expanded: set[str] = set()
    anchored: dict[tuple[str, int], str] = {}
    anchors_per_entry: dict[str, int] = {}
    for occurrence in occurrences:
        key = occurrence.entry.key
        occurrence.link = occurrence.explicit or (autolink and key not in referenced)
        abbreviation = occurrence.entry.abbreviation
        if not abbreviation or occurrence.text != abbreviation:
            expanded.add(key)  # the full name was read first: no expansion needed
        elif key in expanded:
            occurrence.mark_abbreviation = True
        elif _already_expanded(occurrence):
            occurrence.mark_abbreviation = True
            expanded.add(key)
        elif _poor_place_to_expand(occurrence):
            occurrence.mark_abbreviation = True
        else:
            occurrence.expand = True
            expanded.add(key)
        if occurrence.link:
            referenced.add(key)
            section_key = (key, id(occurrence.section))
            if section_key not in anchored:
                term_id = occurrence.entry.term_ids[0]
                anchors_per_entry[term_id] = anchors_per_entry.get(term_id, 0) + 1
                occurrence.anchor = f"{term_id}-use-{anchors_per_entry[term_id]}"
                anchored[section_key] = occurrence.anchor
    return occurrences


def usages(
    docname: str,
    doctree: nodes.document,
    index: TermIndex,
    autolink: bool,
    unwritten: frozenset[str],
    *,
    glossary_page: bool = False,
) -> list[TermUsage]:
    """The back-references a document contributes: one per entry and section."""
    found = []
    title = next(iter(doctree.findall(nodes.title)), None)
    for occurrence in plan(doctree, index, autolink, unwritten, glossary_page=glossary_page):
        if not occurrence.anchor:
            continue
        section = occurrence.section
        found.append(
            TermUsage(
                entry=occurrence.entry.key,
                docname=docname,
                section_id=section["ids"][0] if section is not None and section["ids"] else "",
                section_title=(section[0].astext() if section is not None else "")
                or (title.astext() if title is not None else docname),
                anchor=occurrence.anchor,
            )
        )
    return found
