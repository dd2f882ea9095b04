"""Small constructs every edition shows alike, settled once while a document is read.

MyST writes a task list's checkbox as a raw ``<input>``, which the sanitiser
rightly removes and which an e-book or a page could not tick anyway. Here it
becomes a :class:`task_marker` node: the stylesheets draw it as a box, ticked
or not, and a screen reader reads its name ("done", "to do"). The name is the
edition's, not the author's, so the node holds no text.

A video written as an image (``![](demo.mp4)``, a figure of one) would be an
``<img>`` no browser plays and a resource an EPUB may not hold as an image.
It becomes a download of the file, named by its alt text or its file name:
a link on the site, its text in the PDF and the EPUB, which carry no
downloads.

Sphinx's field lists (an autodoc parameter's description) put a note or a
list of the description inside the paragraph that names the parameter: a
block in a paragraph, which no HTML allows and epubcheck refuses. The blocks
are lifted out after the paragraph's words, its first paragraph kept on the
line of the name.

An enumerated list numbered ``a)`` or ``(i)`` keeps only its numbering
(``loweralpha``) as a class in docutils' HTML, so every edition printed
``a.``. The punctuation the author wrote is added as one more class,
``triptych-enum-<numbering>-<punctuation>``, which each stylesheet draws
with a ``@counter-style`` (a reader without them shows ``a.``).

Some extensions give their nodes ids without docutils' check that no other
element has them: sphinx-proof and sphinx-exercise give the body of every
theorem and exercise the same one (``proof-content``), and a label can spell
the id a heading already has (``top-shares`` under "Top shares"). An id is
one place in a page, a chapter and the print document: the first carrier
that is not a section keeps it (what the extension's references point at),
the others get the id with a count (``proof-content-1``).
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


#: docutils' (prefix, suffix) of an enumerated list's labels, other than its default ``1.``.
ENUMERATION_PUNCTUATION = {("", ")"): "rparen", ("(", ")"): "parens"}
ENUMERATION_CLASS = "triptych-enum-{enumtype}-{punctuation}"


def enumeration_punctuation(_app: Sphinx, doctree: nodes.document) -> None:
    """Name each enumerated list's label punctuation in a class the stylesheets can draw."""
    for enumeration in doctree.findall(nodes.enumerated_list):
        form = (enumeration.get("prefix", ""), enumeration.get("suffix", "."))
        if (punctuation := ENUMERATION_PUNCTUATION.get(form)) and "enumtype" in enumeration:
            enumeration["classes"].append(
                ENUMERATION_CLASS.format(enumtype=enumeration["enumtype"], punctuation=punctuation)
            )


#: What a file name ends with when it holds a video, not an image.
VIDEO_SUFFIXES = (".mp4", ".m4v", ".webm", ".ogv", ".mov", ".avi", ".mkv")


def videos_as_downloads(app: Sphinx, doctree: nodes.document) -> None:
    """A video written as an image becomes a link to its file, with a warning at its line."""
    from pathlib import PurePosixPath

    from sphinx import addnodes
    from sphinx.util import logging

    from triptych.diagnostics import Subtype, warn

    for image in list(doctree.findall(nodes.image)):
        uri = str(image.get("uri", ""))
        if "://" in uri or not uri.lower().endswith(VIDEO_SUFFIXES):
            continue
        warn(
            logging.getLogger(__name__), Subtype.VIDEO,
            "%s is a video, which no edition shows as an image: it is a link to the file "
            "on the site and its name in the PDF and the EPUB", uri, location=image,
        )  # fmt: skip
        text = str(image.get("alt") or PurePosixPath(uri).name)
        download = addnodes.download_reference(
            "", "", nodes.literal(text, text), reftarget=uri,
            refdoc=app.env.current_document.docname, refexplicit=True, reftype="download",
        )  # fmt: skip
        if isinstance(image.parent, nodes.figure):
            image.replace_self(nodes.paragraph("", "", download))
        else:
            image.replace_self(download)


def _is_block(node: nodes.Node) -> bool:
    return isinstance(node, (nodes.Body, nodes.Structural)) and not isinstance(node, nodes.Inline)


def blocks_out_of_paragraphs(_app: Sphinx, doctree: nodes.document) -> None:
    """A paragraph holding blocks becomes its words and the blocks, one after another."""
    for paragraph in list(doctree.findall(nodes.paragraph)):
        children: list[nodes.Node] = []
        for child in paragraph.children:
            # Sphinx wraps a field's description in an inline element, blocks and all.
            if isinstance(child, nodes.inline) and any(map(_is_block, child.children)):
                children.extend(child.children)
            else:
                children.append(child)
        if not any(_is_block(child) for child in children):
            continue
        paragraph.clear()
        sequence: list[nodes.Node] = []
        words: nodes.Element = paragraph
        for child in children:
            if not _is_block(child):
                words.append(child)
            elif isinstance(child, nodes.paragraph) and not sequence and words is paragraph:
                # The description that follows a parameter's name stays on its line.
                words.extend(child.children)
            else:
                if words.children:
                    sequence.append(words)
                sequence.append(child)
                words = nodes.paragraph()
        if words.children:
            sequence.append(words)
        paragraph.replace_self(sequence)


def unique_ids(_app: Sphinx, doctree: nodes.document) -> None:
    """Every id of a document on one element only; see the module's notes."""
    carriers: dict[str, list[nodes.Element]] = {}
    for element in doctree.findall(nodes.Element):
        for element_id in element["ids"]:
            carriers.setdefault(element_id, []).append(element)
    taken = set(carriers)
    for element_id, elements in carriers.items():
        if len(elements) < 2:
            continue
        keeper = next((e for e in elements if not isinstance(e, nodes.section)), elements[0])
        count = 0
        for element in elements:
            if element is keeper:
                continue
            count += 1
            while f"{element_id}-{count}" in taken:
                count += 1
            renamed = f"{element_id}-{count}"
            taken.add(renamed)
            element["ids"] = [renamed if i == element_id else i for i in element["ids"]]
            doctree.ids[renamed] = element
        doctree.ids[element_id] = keeper


def setup(app: Sphinx) -> None:
    # Before Sphinx notes each section's id for the contents and its numbers (500).
    app.connect("doctree-read", unique_ids, priority=450)
    app.connect("doctree-read", blocks_out_of_paragraphs)
    app.connect("doctree-read", enumeration_punctuation)
    # After the checks of what files content names (400), before Sphinx notes images and
    # downloads for copying (500).
    app.connect("doctree-read", videos_as_downloads, priority=450)
    skip = (skip_task_marker, None)
    app.add_node(
        task_marker,
        html=(visit_task_marker_html, None),
        text=(visit_task_marker_text, None),
        latex=skip, man=skip, texinfo=skip,
    )  # fmt: skip
    # Before the sanitiser (priority 400) would report the checkbox as unsafe HTML.
    app.connect("doctree-read", task_markers, priority=300)
