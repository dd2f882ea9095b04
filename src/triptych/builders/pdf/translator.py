"""The print edition's HTML writer: every id stands where the reader will find its content.

The page map (:mod:`.pagemap`) counts the page where the box that carries
a target's id begins, and WeasyPrint places a link's destination at its top. docutils
writes a section's ids on ``<section>``, but the print stylesheet keeps a
heading with what follows it (``break-after: avoid``): when the heading is
pushed to the next page, the section's box still begins at the foot of the
page before, and so did its page number and its links. The same goes for the
empty ``<span>`` that docutils writes in front of a list or a table for each
id after the first. Here a section's ids are written on its heading, and a
list's or a table's further ids on its first item, caption or cell, so each
anchor is on the page where its text begins.
"""

from __future__ import annotations

import copy
import html
import re
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.writers.html5 import HTML5Translator

from triptych.builders.pdf.assembly import CHAPTER_CLASS
from triptych.builders.pdf.ids import chapter_anchor, qualified_id
from triptych.documents import text_of

if TYPE_CHECKING:
    from sphinx.builders import Builder


def chapter_of_node(node: nodes.Node) -> str | None:
    """The document whose chapter of the merged document holds *node*."""
    ancestor: nodes.Node | None = node
    while ancestor is not None:
        if isinstance(ancestor, nodes.container) and CHAPTER_CLASS in ancestor["classes"]:
            ids = ancestor["ids"]
            prefix = chapter_anchor("")
            return next((i.removeprefix(prefix) for i in ids if i.startswith(prefix)), None)
        ancestor = ancestor.parent
    return None


def heading_of(section: nodes.section) -> nodes.title | None:
    first = section.children[0] if section.children else None
    return first if isinstance(first, nodes.title) else None


def first_line_of(node: nodes.Element) -> nodes.Element | None:
    """The element of a list or a table where its first line of text will be written."""
    if isinstance(node, nodes.bullet_list | nodes.enumerated_list):
        first = node.children[0] if node.children else None
        return first if isinstance(first, nodes.list_item) else None
    if isinstance(node, nodes.definition_list):
        return next(iter(node.findall(nodes.term)), None)
    if isinstance(node, nodes.table):
        title = node.children[0] if node.children else None
        if isinstance(title, nodes.title):
            return title
        return next(iter(node.findall(nodes.entry)), None)
    return None


#: Columns from which a table is set in smaller type (print.css), as LaTeX's tabulary would.
WIDE_TABLE_COLUMNS = 7


def column_count(table: nodes.table) -> int:
    return max(
        (len(list(group.findall(nodes.colspec))) for group in table.findall(nodes.tgroup)),
        default=0,
    )


#: Characters of code a table's line holds (A4 or Letter, less the margins, in the table's
#: code type) and the characters a cell's padding takes.
TABLE_CODE_CHARACTERS_PER_LINE = 88
CELL_PADDING_CHARACTERS = 2
#: Where a name in code may break in a table's cell: after one "_", "." or "/" that follows
#: another character and comes before one ("python_" / "version"; not "__" / "init__"), but
#: not between the digits of a number ("3.11", "v1.2.3").
_NAME_BREAK = re.compile(r"(?<=[^_./][_./])(?=[^_./])(?!(?<=\d\.)\d)")
#: The class of a piece of code longer than its column can hold (print.css).
CODE_BREAKS_ANYWHERE_CLASS = "triptych-code-anywhere"


def longest_code_piece(columns: int) -> int:
    """The characters a piece of code between breaks may have in a table of *columns*.

    A piece no longer than that is kept whole: its column is made as wide as it needs,
    and every column still fits on the page. A longer one breaks between any characters.
    """
    return max(TABLE_CODE_CHARACTERS_PER_LINE // max(columns, 1) - CELL_PADDING_CHARACTERS, 1)


def _with_ids(node: nodes.Element, ids: list[str]) -> nodes.Element:
    """*node* as the writer should see it, with other ids; the doctree keeps its own."""
    stand_in = copy.copy(node)
    stand_in.attributes = {**node.attributes, "ids": ids}
    return stand_in


#: Elements whose writer puts their ids on their start tag: an anchor before one can join it.
ANCHOR_HOLDERS = (
    nodes.section,
    nodes.bullet_list,
    nodes.enumerated_list,
    nodes.definition_list,
    nodes.table,
    nodes.figure,
    nodes.container,
    nodes.block_quote,
)


def holder_after(anchor: nodes.Element) -> nodes.Element | None:
    """The element an empty anchor between blocks stands for: the next one, if it holds ids."""
    if anchor.children or isinstance(anchor.parent, nodes.TextElement):
        return None  # text, or an anchor inside a line of text: it is on the right page
    parent = anchor.parent
    if parent is None:
        return None
    for following in parent.children[parent.index(anchor) + 1 :]:
        if isinstance(following, nodes.comment) or (
            isinstance(following, nodes.target) and not following.get("ids")
        ):
            continue  # writes nothing: a label whose ids have moved on, a comment
        return following if isinstance(following, ANCHOR_HOLDERS) else None
    return None


_HEADING_TAG = re.compile(r"<h[1-6]\b[^>]*>")
#: The number Sphinx writes before a numbered section's title.
_SECTION_NUMBER = re.compile(r'<span class="section-number">([^<]*)</span>')


class PrintTranslator(HTML5Translator):
    """Sphinx's HTML writer with every id moved to where its content begins on the page."""

    def __init__(self, document: nodes.document, builder: Builder) -> None:
        super().__init__(document, builder)
        #: Ids moved onto an element written later, keyed by that element.
        self.moved_ids: dict[int, list[str]] = {}
        #: Where each heading being written begins in the body.
        self.heading_starts: list[int] = []

    def visit_title(self, node: nodes.title) -> None:
        self.heading_starts.append(len(self.body))
        super().visit_title(node)

    def depart_title(self, node: nodes.title) -> None:
        start = self.heading_starts.pop()
        super().depart_title(node)
        if isinstance(node.parent, nodes.section) and next(node.findall(nodes.math), None):
            self.label_bookmark(start, node)

    def label_bookmark(self, start: int, title: nodes.title) -> None:
        """A heading with a formula is bookmarked with the formula as text (``T₁``).

        WeasyPrint's bookmark is the heading's text, and a formula is drawn, not text: the
        bookmark would skip it ("Growth of at").
        """
        # The heading's start tag, and the empty spans of its further ids after it.
        written = self.body[start]
        tag = _HEADING_TAG.match(written)
        if tag is None or "style=" in tag.group():
            return
        number = _SECTION_NUMBER.search("".join(self.body[start:]))
        label = (html.unescape(number.group(1)) if number else "") + text_of(title)
        css = '"' + label.replace("\\", "\\\\").replace('"', '\\"') + '"'
        labelled = f'{tag.group()[:-1]} style="bookmark-label: {html.escape(css)}">'
        self.body[start] = labelled + written[tag.end() :]

    def move_ids(self, ids: list[str], to: nodes.Element) -> None:
        self.moved_ids.setdefault(id(to), []).extend(ids)

    def ids_to_write(self, node: nodes.Element) -> list[str]:
        ids = [*self.moved_ids.pop(id(node), ()), *node.get("ids", ())]
        if isinstance(node, nodes.section) and (heading := heading_of(node)) is not None:
            self.move_ids(ids, heading)
            return []
        if len(ids) > 1 and (line := first_line_of(node)) is not None:
            # docutils would write these as empty spans in front of the element.
            self.move_ids(ids[1:], line)
            ids = ids[:1]
        return ids

    def starttag(
        self,
        node: nodes.Element,
        tagname: str,
        suffix: str = "\n",
        empty: bool = False,
        **attributes: Any,
    ) -> str:
        if attributes.get("ids") and (docname := chapter_of_node(node)) is not None:
            # Ids an extension's visitor writes itself (not the doctree's, which qualify_ids
            # saw) would repeat in every chapter that uses it.
            attributes["ids"] = [qualified_id(docname, value) for value in attributes["ids"]]
        ids = self.ids_to_write(node)
        if ids != node.get("ids", []):
            node = _with_ids(node, ids)
        if isinstance(node, nodes.enumerated_list) and (start := node.get("start", 1)) != 1:
            # WeasyPrint reads no ``start`` attribute (an HTML presentational hint, left off):
            # the list's counter begins one before its first number.
            attributes["style"] = f"counter-reset: list-item {int(start) - 1}"
        if isinstance(node, nodes.table) and column_count(node) >= WIDE_TABLE_COLUMNS:
            attributes["classes"] = [*attributes.get("classes", []), "triptych-wide-table"]
        return str(super().starttag(node, tagname, suffix, empty, **attributes))

    def visit_Text(self, node: nodes.Text) -> None:  # noqa: N802 (docutils' visitor name)
        table = self.literal_in_table(node)
        if table is None:
            super().visit_Text(node)
            return
        # Code in a table's cell breaks only where a name does, after "_", "." or "/",
        # so that its column is as wide as its longest piece: breaking it anywhere let
        # a column of names shrink to a few letters a line beside one of prose. <wbr>
        # writes no character into the PDF's text, so the code copies as written.
        longest = longest_code_piece(column_count(table))
        for token in self.words_and_spaces.findall(node.astext()):
            if token.strip():
                pieces = [
                    self.encode(piece)
                    if len(piece) <= longest
                    else f'<span class="{CODE_BREAKS_ANYWHERE_CLASS}">{self.encode(piece)}</span>'
                    for piece in _NAME_BREAK.split(token)
                ]
                self.body.append(f'<span class="pre">{"<wbr>".join(pieces)}</span>')
            elif token in {" ", "\n"}:
                self.body.append(token)
            else:
                self.body.append("&#160;" * (len(token) - 1) + " ")

    def literal_in_table(self, node: nodes.Text) -> nodes.table | None:
        """The table whose cell holds *node*, when it is the text of inline code."""
        if not self.protect_literal_text:
            return None
        ancestor = node.parent
        while ancestor is not None and not isinstance(ancestor, nodes.entry):
            ancestor = ancestor.parent
        while ancestor is not None and not isinstance(ancestor, nodes.table):
            ancestor = ancestor.parent
        return ancestor

    def joined_to_next(self, anchor: nodes.Element) -> bool:
        """Hand an empty anchor's ids to the element after it, rather than write it alone."""
        holder = holder_after(anchor)
        if holder is None or not anchor.get("ids"):
            return False
        self.move_ids([*self.moved_ids.pop(id(anchor), ()), *anchor["ids"]], holder)
        return True

    def visit_inline(self, node: nodes.inline) -> None:
        if self.joined_to_next(node):
            raise nodes.SkipNode
        super().visit_inline(node)

    def visit_target(self, node: nodes.target) -> None:
        if not {"refuri", "refid", "refname"} & set(node.attributes) and self.joined_to_next(node):
            raise nodes.SkipNode
        super().visit_target(node)
