"""Small constructs every edition shows alike, settled once while a document is read.

MyST writes a task list's checkbox as a raw ``<input>``, which the sanitiser
rightly removes and which an e-book or a page could not tick anyway. Here it
becomes a :class:`task_marker` node: the stylesheets draw it as a box, ticked
or not, and a screen reader reads its name ("done", "to do"). The name is the
edition's, not the author's, so the node holds no text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from docutils import nodes

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.writers.html5 import HTML5Translator
    from sphinx.writers.text import TextTranslator

TASK_ITEM_CLASS = "task-list-item"
TASK_CLASS = "triptych-task"
TASK_DONE_CLASS = "triptych-task-done"
CHECKBOX = re.compile(r"^\s*<input\b[^<>]*\btask-list-item-checkbox\b[^<>]*>\s*$")
CHECKED = re.compile(r"\bchecked\b")


class task_marker(nodes.Inline, nodes.Element):  # noqa: N801 - docutils names nodes so
    """The box of a task list item, ticked when the item is ``done``."""


def _name(node: nodes.Element) -> str:
    return "done" if node.get("done") else "to do"


def visit_task_marker_html(self: HTML5Translator, node: nodes.Element) -> None:
    classes = f"{TASK_CLASS} {TASK_DONE_CLASS}" if node.get("done") else TASK_CLASS
    attributes: dict[str, Any] = {"CLASS": classes, "role": "img", "aria-label": _name(node)}
    self.body.append(self.starttag(node, "span", "", **attributes) + "</span>")
    raise nodes.SkipNode


def visit_task_marker_text(self: TextTranslator, node: nodes.Element) -> None:
    self.add_text("[x]" if node.get("done") else "[ ]")
    raise nodes.SkipNode


def skip_task_marker(_self: Any, _node: nodes.Element) -> None:
    raise nodes.SkipNode


def task_markers(_app: Sphinx, doctree: nodes.document) -> None:
    """Replace MyST's task-list checkboxes with markers every edition can show."""
    for raw in list(doctree.findall(nodes.raw)):
        item = raw.parent.parent if raw.parent is not None else None
        if not (
            isinstance(item, nodes.list_item)
            and TASK_ITEM_CLASS in item["classes"]
            and CHECKBOX.match(raw.astext())
        ):
            continue
        raw.replace_self([task_marker(done=bool(CHECKED.search(raw.astext()))), nodes.Text(" ")])


def setup(app: Sphinx) -> None:
    skip = (skip_task_marker, None)
    app.add_node(
        task_marker,
        html=(visit_task_marker_html, None),
        text=(visit_task_marker_text, None),
        latex=skip, man=skip, texinfo=skip,
    )  # fmt: skip
    # Before the sanitiser (priority 400) would report the checkbox as unsafe HTML.
    app.connect("doctree-read", task_markers, priority=300)
