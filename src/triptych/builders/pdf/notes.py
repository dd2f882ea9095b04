"""Footnotes at the foot of the page that calls them.

WeasyPrint lays out an element with ``float: footnote`` in the footnote
area of the page where the element stands, and leaves a call
(``::footnote-call``) in its place. So in print, each footnote's text moves
into the paragraph, where its first reference was: :class:`print_footnote`
carries it there, with the author's label, which the stylesheet prints as
the call and the marker. An empty anchor before it keeps the reference's
id, so the PDF builder can check that the call and the note share a page
(:func:`triptych.builders.pdf.layout.separated_footnotes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.writers.html5 import HTML5Translator

FOOTNOTE_CLASS = "triptych-footnote"
CALL_CLASS = "triptych-footnote-call"
PARAGRAPH_CLASS = "triptych-footnote-paragraph"


class print_footnote(nodes.Inline, nodes.TextElement):  # noqa: N801 - docutils names nodes so
    """A footnote's text at the place of its call; ``label`` is the author's label."""


def visit_print_footnote(translator: HTML5Translator, node: print_footnote) -> None:
    attributes = {"data-label": node["label"]}
    translator.body.append(
        translator.starttag(node, "span", "", CLASS=FOOTNOTE_CLASS, **attributes)
    )


def depart_print_footnote(translator: HTML5Translator, _node: print_footnote) -> None:
    translator.body.append("</span>")


def _inline_content(footnote: nodes.footnote) -> list[nodes.Node]:
    """The footnote's text as phrasing content: it now stands inside a paragraph."""
    content: list[nodes.Node] = []
    for child in footnote.children:
        if isinstance(child, nodes.label):
            continue
        if not content:
            # The first paragraph runs on from the marker.
            content.extend(child.children if isinstance(child, nodes.paragraph) else [child])
            continue
        inner = (
            child.children if isinstance(child, nodes.paragraph) else [nodes.Text(child.astext())]
        )
        content.append(nodes.inline("", "", *inner, classes=[PARAGRAPH_CLASS]))
    return content


def place_footnotes_at_calls(chapter: nodes.Element) -> None:
    """Move each footnote to its first reference; later references point at it."""
    footnotes = {
        footnote["ids"][0]: footnote
        for footnote in chapter.findall(nodes.footnote)
        if footnote["ids"]
    }
    placed: set[str] = set()
    for reference in list(chapter.findall(nodes.footnote_reference)):
        footnote = footnotes.get(str(reference.get("refid", "")))
        if footnote is None or footnote["ids"][0] in placed:
            continue
        placed.add(footnote["ids"][0])
        label = footnote.next_node(nodes.label)
        note = print_footnote(
            "", "", *_inline_content(footnote), ids=list(footnote["ids"]),
            label=label.astext() if label is not None else reference.astext(),
        )  # fmt: skip
        call = nodes.inline(ids=list(reference["ids"]), classes=[CALL_CLASS])
        reference.replace_self([call, note])
    for footnote in footnotes.values():
        if footnote["ids"][0] in placed and footnote.parent is not None:
            footnote.parent.remove(footnote)
    if not list(chapter.findall(nodes.footnote)):
        # MyST rules off the notes at the end of a document; in print they are gone from there.
        for rule in list(chapter.findall(nodes.transition)):
            if "footnotes" in rule["classes"] and rule.parent is not None:
                rule.parent.remove(rule)


def footnote_pairs(chapters: list[nodes.container]) -> list[tuple[str, str]]:
    """(id of the call, id of the note) of every footnote placed at its call."""
    pairs = []
    for chapter in chapters:
        for note in chapter.findall(print_footnote):
            call = note.previous_sibling()
            if isinstance(call, nodes.inline) and CALL_CLASS in call["classes"] and call["ids"]:
                pairs.append((str(call["ids"][0]), str(note["ids"][0])))
    return pairs


def setup(app: Sphinx) -> None:
    app.add_node(print_footnote, html=(visit_print_footnote, depart_print_footnote))
