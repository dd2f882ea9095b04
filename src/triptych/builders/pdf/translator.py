"""The print edition's HTML writer: every id stands where the reader will find its content.

WeasyPrint counts a page number (``target-counter()``) and places a link's
destination at the top of the box that carries the target's id. docutils
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
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.writers.html5 import HTML5Translator

if TYPE_CHECKING:
    from sphinx.builders import Builder


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


def _with_ids(node: nodes.Element, ids: list[str]) -> nodes.Element:
    """*node* as the writer should see it, with other ids; the doctree keeps its own."""
    stand_in = copy.copy(node)
    stand_in.attributes = {**node.attributes, "ids": ids}
    return stand_in


class PrintTranslator(HTML5Translator):
    """Sphinx's HTML writer with every id moved to where its content begins on the page."""

    def __init__(self, document: nodes.document, builder: Builder) -> None:
        super().__init__(document, builder)
        #: Ids moved onto an element written later, keyed by that element.
        self.moved_ids: dict[int, list[str]] = {}

    def ids_to_write(self, node: nodes.Element) -> list[str]:
        ids: list[str] = list(node.get("ids", ()))
        if isinstance(node, nodes.section) and heading_of(node) is not None:
            return []  # its heading carries them
        parent = node.parent
        if isinstance(parent, nodes.section) and heading_of(parent) is node:
            ids = [*parent["ids"], *ids]
        ids.extend(self.moved_ids.pop(id(node), ()))
        if len(ids) > 1 and (line := first_line_of(node)) is not None:
            # docutils would write these as empty spans in front of the element.
            self.moved_ids.setdefault(id(line), []).extend(ids[1:])
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
        ids = self.ids_to_write(node)
        if ids != node.get("ids", []):
            node = _with_ids(node, ids)
        return str(super().starttag(node, tagname, suffix, empty, **attributes))
