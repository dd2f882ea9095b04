"""Figures that would leave a hole in print are moved after the text that can fill it.

A figure is kept whole, so one that does not fit in what is left of a page
starts the next, and the page before ends early. WeasyPrint has no page
floats (``float: top``) to let the following text fill that space; so after a
first layout each figure that starts a page below such a hole is moved, in the
doctree, past as many of the paragraphs that follow it as the hole can take,
and the document is laid out again. Figures move only past plain text within
their own section, never past a heading, a table or another figure, so their
order and numbers stay as written.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from docutils import nodes

if TYPE_CHECKING:
    from collections.abc import Iterator

FIGURE_CLASS_PREFIX = "triptych-figure-"
#: A page that ends this much of its height early, before a figure, has a hole.
HOLE_FRACTION = 1 / 3
#: How far below the top of its page a figure may start and still be "at the top", in CSS px.
TOP_TOLERANCE = 24.0
TEXT_NODES = (
    nodes.paragraph,
    nodes.bullet_list,
    nodes.enumerated_list,
    nodes.block_quote,
    nodes.definition_list,
)
TEXT_TAGS = frozenset({"p", "ul", "ol", "blockquote", "dl"})


def mark_figures(chapters: list[nodes.container]) -> None:
    """Give every figure a class the laid-out document can be searched for."""
    figures = (figure for chapter in chapters for figure in chapter.findall(nodes.figure))
    for number, figure in enumerate(figures, start=1):
        figure["classes"].append(f"{FIGURE_CLASS_PREFIX}{number}")


def _figure_number(element: Any) -> int | None:
    """The number of a marked figure, from its laid-out element or its doctree node."""
    classes = element["classes"] if isinstance(element, nodes.Element) else element.get("class")
    for name in classes.split() if isinstance(classes, str) else classes or ():
        if name.startswith(FIGURE_CLASS_PREFIX):
            return int(name.removeprefix(FIGURE_CLASS_PREFIX))
    return None


def _with_parents(box: Any, parent: Any = None) -> Iterator[tuple[Any, Any]]:
    yield box, parent
    for child in getattr(box, "children", []):
        yield from _with_parents(child, box)


def _root(page: Any) -> Any:
    return next(
        (child for child in page._page_box.children if getattr(child, "element_tag", "") == "html"),
        None,
    )


def _content_bottom(root: Any) -> float:
    """Where the ink of a page ends: its lowest line or image (blocks run on to the page foot)."""
    from weasyprint.formatting_structure.boxes import LineBox, ReplacedBox

    return float(
        max(
            (
                box.position_y + box.margin_height()
                for box, _parent in _with_parents(root)
                if isinstance(box, LineBox | ReplacedBox)
            ),
            default=root.position_y,
        )
    )


def holes(document: Any) -> dict[int, int]:
    """For each figure that starts a page below a hole: how many text blocks to move it past."""
    found: dict[int, int] = {}
    pages = document.pages
    for previous, page in itertools.pairwise(pages):
        root, previous_root = _root(page), _root(previous)
        if root is None or previous_root is None:
            continue
        page_box = page._page_box
        top, height = page_box.content_box_y(), page_box.height
        bottom = _content_bottom(previous_root)
        gap = previous._page_box.content_box_y() + previous._page_box.height - bottom
        if gap < height * HOLE_FRACTION:
            continue
        for box, parent in _with_parents(root):
            element = getattr(box, "element", None)
            if box.element_tag != "figure" or element is None or parent is None:
                continue
            number = _figure_number(element)
            if number is not None and box.position_y - top <= TOP_TOLERANCE:
                found[number] = _blocks_to_fill(box, parent, gap)
            break  # only the first figure of a page can stand below a hole
    return {number: count for number, count in found.items() if count}


def _blocks_to_fill(figure: Any, parent: Any, gap: float) -> int:
    following = parent.children[parent.children.index(figure) + 1 :]
    count, filled = 0, 0.0
    for box in following:
        if box.element is parent.element:
            continue  # an anonymous box round inline content
        if box.element_tag not in TEXT_TAGS or filled >= gap:
            break
        filled += box.margin_height()
        count += 1
    return count


def defer_figures(chapters: list[nodes.container], document: Any) -> bool:
    """Move each figure below a hole past the text that fills it; whether any moved."""
    return move_figures(chapters, holes(document))


def move_figures(chapters: list[nodes.container], moves: dict[int, int]) -> bool:
    """Move each figure numbered in *moves* past that many text blocks; whether any moved."""
    if not moves:
        return False
    for chapter in chapters:
        for figure in list(chapter.findall(nodes.figure)):
            number = _figure_number(figure)
            if number in moves and figure.parent is not None:
                _move_past_text(figure, moves[number])
    return True


def _move_past_text(figure: nodes.figure, count: int) -> None:
    parent = figure.parent
    index = parent.index(figure)
    after = index
    for position in range(index + 1, len(parent.children)):
        sibling = parent.children[position]
        if isinstance(sibling, nodes.target):
            continue
        if not isinstance(sibling, TEXT_NODES) or count == 0:
            break
        after = position
        count -= 1
    if after > index:
        parent.remove(figure)
        parent.insert(after, figure)
