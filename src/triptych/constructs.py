"""Small constructs every edition shows alike, settled once while a document is read.

MyST writes a task list's checkbox as a raw ``<input>``, which the sanitiser
rightly removes and which an e-book or a page could not tick anyway. Here it
becomes a marker with a text of its own ("done", "to do"): the stylesheets
draw it as a box, ticked or not, and a screen reader reads the word.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from docutils import nodes

if TYPE_CHECKING:
    from sphinx.application import Sphinx

TASK_ITEM_CLASS = "task-list-item"
TASK_CLASS = "triptych-task"
TASK_DONE_CLASS = "triptych-task-done"
CHECKBOX = re.compile(r"^\s*<input\b[^<>]*\btask-list-item-checkbox\b[^<>]*>\s*$")
CHECKED = re.compile(r"\bchecked\b")


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
        done = bool(CHECKED.search(raw.astext()))
        marker = nodes.inline(
            "",
            "done" if done else "to do",
            classes=[TASK_CLASS, TASK_DONE_CLASS] if done else [TASK_CLASS],
        )
        raw.replace_self([marker, nodes.Text(" ")])


def setup(app: Sphinx) -> None:
    # Before the sanitiser (priority 400) would report the checkbox as unsafe HTML.
    app.connect("doctree-read", task_markers, priority=300)
