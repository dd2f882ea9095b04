"""The merged print document: chapters in reading order, with qualified ids and page references.

The PDF is one document, so every chapter's doctree is resolved, stripped of
what the print edition supplies itself (toctrees, the root's title and
byline), given ids qualified with its document's name (see
:mod:`triptych.builders.pdf.ids`) and wrapped in one container.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

from triptych.builders.pdf.ids import chapter_anchor, part_anchor, qualified_id, qualify_ids
from triptych.documents import ContentsEntry, publication_contents

if TYPE_CHECKING:
    from sphinx.environment import BuildEnvironment

CHAPTER_CLASS = "triptych-chapter"
FRONT_MATTER_CLASS = "triptych-front-matter"
#: Front matter with nothing to print (a root document of a title and a toctree, both
#: printed elsewhere): it takes no page of its own, where the book would show a blank one.
EMPTY_FRONT_MATTER_CLASS = "triptych-empty-front-matter"
PART_CLASS = "triptych-part"
PART_TITLE_CLASS = "triptych-part-title"
#: A chapter's depth in the contents, as the class of the block around it (up to MAX_DEPTH).
DEPTH_CLASS = "triptych-depth-"
MAX_DEPTH = 4
#: A reference to a section of another article: the PDF prints its page after it.
PAGE_REFERENCE_CLASS = "triptych-pageref"
_WORD_START = re.compile(r"\w+")
#: A reference whose text is the page number of its target (a back-reference).
PAGE_NUMBER_CLASS = "triptych-page-number"


def chapter_of(
    doctree: nodes.document, docname: str, env: BuildEnvironment, front_matter: bool
) -> nodes.container:
    """One resolved document as a chapter of the merged print document."""
    qualify_ids(doctree, docname, env.all_docs)
    chapter = nodes.container(classes=[CHAPTER_CLASS], ids=[chapter_anchor(docname)])
    if front_matter:
        chapter["classes"].append(FRONT_MATTER_CLASS)
    chapter.extend(list(doctree.children))
    if front_matter and not chapter.astext().strip() and not any(chapter.findall(nodes.image)):
        chapter["classes"].append(EMPTY_FRONT_MATTER_CLASS)
    return chapter


def chapter_numbers(
    env: BuildEnvironment, docname: str, doctree: nodes.document
) -> tuple[dict[str, dict[str, tuple[int, ...]]], dict[str, tuple[int, ...]]]:
    """Figure and section numbers of one document, keyed by the qualified ids the writer sees."""
    fignumbers: dict[str, dict[str, tuple[int, ...]]] = {}
    for figtype, numbers in env.toc_fignumbers.get(docname, {}).items():
        merged = fignumbers.setdefault(figtype, {})
        for node_id, number in numbers.items():
            merged[qualified_id(docname, node_id)] = number
    secnumbers: dict[str, tuple[int, ...]] = {}
    top = next(iter(doctree.findall(nodes.section)), None)
    for anchor, number in env.toc_secnumbers.get(docname, {}).items():
        if anchor:
            secnumbers["#" + qualified_id(docname, anchor.lstrip("#"))] = number
        elif top is not None and top["ids"]:
            secnumbers["#" + top["ids"][0]] = number
    return fignumbers, secnumbers


def print_contents(env: BuildEnvironment, order: list[str]) -> list[dict[str, Any]]:
    """Contents entries as (title, link, children), pointing at qualified ids."""

    def link(entry: ContentsEntry) -> dict[str, Any]:
        if entry.is_part:
            href = ""  # a part has no page of its own; its chapters carry the page numbers
        elif entry.anchor:
            href = "#" + qualified_id(entry.docname, entry.anchor)
        else:
            href = "#" + chapter_anchor(entry.docname)
        return {
            "title": entry.label,
            "href": href,
            "children": [link(child) for child in entry.children],
        }

    return [link(entry) for entry in publication_contents(env, order)]


def book_body(
    env: BuildEnvironment, chapters: list[nodes.container], order: list[str]
) -> list[nodes.Element]:
    """The chapters as the book prints them: a title page before each part, and each chapter
    marked with its depth in the contents, so the bookmarks nest as the contents do."""
    depths: dict[str, int] = {}
    opening: dict[str, list[str]] = {}

    def note(entries: tuple[ContentsEntry, ...], depth: int, parts: list[str]) -> None:
        for entry in entries:
            if entry.is_part:
                note(entry.children, depth + 1, [*parts, entry.label])
                parts = []
            elif not entry.anchor:
                depths.setdefault(entry.docname, depth)
                if parts:
                    opening.setdefault(entry.docname, []).extend(parts)
                    parts = []
                note(entry.children, depth + 1, [])

    note(tuple(publication_contents(env, order)), 1, [])
    body: list[nodes.Element] = []
    parts: list[nodes.container] = []
    for docname, chapter in zip(order, chapters, strict=True):
        for caption in opening.get(docname, []):
            # An id of its own, so that where the part begins can be found in the PDF.
            part = nodes.container(classes=[PART_CLASS], ids=[part_anchor(len(parts) + 1)])
            parts.append(part)
            part += nodes.paragraph(caption, caption, classes=[PART_TITLE_CLASS])
            body.append(part)
        depth = min(depths.get(docname, 1), MAX_DEPTH)
        classes = [f"{DEPTH_CLASS}{depth}"]
        if EMPTY_FRONT_MATTER_CLASS in chapter["classes"]:
            classes.append(EMPTY_FRONT_MATTER_CLASS)
        body.append(nodes.container("", chapter, classes=classes))
    return body


def id_owners(chapters: list[nodes.container], order: list[str]) -> dict[str, str]:
    """Which document each id of the merged document belongs to."""
    owners: dict[str, str] = {}
    for docname, chapter in zip(order, chapters, strict=True):
        for node in chapter.findall(nodes.Element):
            owners.update(dict.fromkeys(node.get("ids", ()), docname))
    return owners


def mark_page_references(chapters: list[nodes.container], order: list[str]) -> None:
    """Mark references that print a page number: to a section of another article, and back-references."""
    section_doc: dict[str, str] = {}
    for docname, chapter in zip(order, chapters, strict=True):
        section_doc[chapter_anchor(docname)] = docname
        for section in chapter.findall(nodes.section):
            section_doc.update(dict.fromkeys(section["ids"], docname))
    for docname, chapter in zip(order, chapters, strict=True):
        for reference in list(chapter.findall(nodes.reference)):
            target = str(reference.get("refuri", "")).removeprefix("#")
            if section_doc.get(target, docname) != docname:
                reference["classes"].append(PAGE_REFERENCE_CLASS)
                # The page follows the whole word the link ends in ("valves (p. 3)").
                if rest := _word_run_on(reference):
                    reference.append(nodes.Text(rest))
            elif any(
                PAGE_NUMBER_CLASS in child.get("classes", ())
                for child in reference.children
                if isinstance(child, nodes.Element)
            ):
                reference["classes"].append(PAGE_NUMBER_CLASS)


def _word_run_on(reference: nodes.Element) -> str:
    """The letters of a word that run on after *reference*, taken from the text after it."""
    parent = reference.parent
    if parent is None:
        return ""
    index = parent.index(reference)
    following = parent[index + 1] if index + 1 < len(parent) else None
    if not isinstance(following, nodes.Text) or not (rest := _WORD_START.match(following)):
        return ""
    parent[index + 1] = nodes.Text(following[rest.end() :])
    return rest.group()


class DownloadsAsText(SphinxPostTransform):
    """A download in print is its text: the file is not in the PDF to be opened."""

    builders = ("pdf",)
    default_priority = 5

    def run(self, **_kwargs: Any) -> None:
        for download in list(self.document.findall(addnodes.download_reference)):
            download.replace_self(nodes.inline("", "", *download.children))
