"""The printed index: a chapter after the last article, its locators printed as page numbers.

Each locator is a link whose text is its target's page (a page slot, as in
the contents: :mod:`.pagemap`), so the number is the page WeasyPrint laid the
target out on. Once a layout has given the pages,
:func:`settle_index_pages` hides a locator that repeats the page before it
and joins consecutive pages into a range (4, 5, 6 print as 4-6, with an en
dash); the index is laid out again, and since it comes last, the pages it
points at stay put.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from sphinx import addnodes

from triptych.apparatus.index import INDEX_TITLE
from triptych.builders.pdf.assembly import CHAPTER_CLASS, PAGE_NUMBER_CLASS
from triptych.builders.pdf.ids import qualified_id

if TYPE_CHECKING:
    from triptych.apparatus.index import IndexEntry, IndexGroup, Locator

INDEX_ID = "triptych-index"
INDEX_CLASS = "triptych-index"
LOCATOR_CLASS = "triptych-index-locator"
MAIN_CLASS = "triptych-index-main"
HIDDEN_CLASS = "triptych-repeated-page"
#: Set on a locator the author marked as the main one (it stays bold when pages merge).
MAIN_FLAG = "triptych-main"
RANGE_DASH = "\N{EN DASH}"


def _locator(locator: Locator, first: bool) -> nodes.inline:
    item = nodes.inline(classes=[LOCATOR_CLASS])
    item[MAIN_FLAG] = locator.main
    if locator.main:
        item["classes"].append(MAIN_CLASS)
    item += nodes.Text("" if first else ", ")
    item += nodes.reference(
        "", "", refuri="#" + qualified_id(locator.docname, locator.anchor),
        internal=True, classes=[PAGE_NUMBER_CLASS],
    )  # fmt: skip
    return item


def _entry_item(entry: IndexEntry) -> nodes.list_item:
    line = nodes.paragraph(classes=["triptych-index-entry"])
    line += nodes.inline(entry.term, entry.term, classes=["triptych-index-term"])
    if entry.locators:
        line += nodes.Text(" ")
        locators = nodes.inline(classes=["triptych-index-locators"])
        for position, locator in enumerate(entry.locators):
            locators += _locator(locator, first=position == 0)
        line += locators
    for reference in entry.see:
        line += nodes.Text(", " if entry.locators else " ")
        line += nodes.emphasis(reference, reference)
    item = nodes.list_item("", line)
    if entry.subentries:
        item += nodes.bullet_list(
            "", *(_entry_item(sub) for sub in entry.subentries), classes=["triptych-index-sub"]
        )
    return item


def index_chapter(groups: list[IndexGroup]) -> nodes.container | None:
    """The index as a chapter of the merged print document, or None when it has no entries."""
    if not groups:
        return None
    section = nodes.section(ids=[f"{INDEX_ID}-title"])
    section += nodes.title(INDEX_TITLE, INDEX_TITLE)
    body = nodes.container(classes=["triptych-index-groups"])
    for group in groups:
        block = nodes.container(classes=["triptych-index-group"])
        block += nodes.paragraph(group.letter, group.letter, classes=["triptych-index-letter"])
        block += nodes.bullet_list(
            "", *(_entry_item(entry) for entry in group.entries), classes=["triptych-index-entries"]
        )
        body += block
    section += body
    return nodes.container("", section, classes=[CHAPTER_CLASS, INDEX_CLASS], ids=[INDEX_ID])


def _state(items: list[nodes.inline]) -> list[tuple[bool, str, bool]]:
    return [
        (HIDDEN_CLASS in item["classes"], item[0].astext(), MAIN_CLASS in item["classes"])
        for item in items
    ]


def _target(item: nodes.inline) -> str:
    reference = item.next_node(nodes.reference)
    return str(reference.get("refuri", "")).removeprefix("#") if reference is not None else ""


def settle_index_pages(back_matter: list[nodes.container], pages: dict[str, int]) -> bool:
    """Hide locators on a page already listed and join consecutive pages into ranges.

    Recomputed from scratch for the pages of the last layout; returns whether
    anything changed, so that the index is laid out again.
    """
    changed = False
    for chapter in back_matter:
        for group in chapter.findall(nodes.inline):
            if "triptych-index-locators" not in group["classes"]:
                continue
            items = [child for child in group.children if isinstance(child, nodes.inline)]
            before = _state(items)
            _settle(items, pages)
            changed |= _state(items) != before
    return changed


def _settle(items: list[nodes.inline], pages: dict[str, int]) -> None:
    shown: list[tuple[nodes.inline, int | None, bool]] = []  # (item, page, ends a range)
    for item in items:
        page = pages.get(_target(item))
        main = bool(item.get(MAIN_FLAG))
        item["classes"] = [c for c in item["classes"] if c not in {HIDDEN_CLASS, MAIN_CLASS}]
        last = shown[-1] if shown else None
        last_page = last[1] if last is not None else None
        if last is not None and page is not None and page == last_page:
            item["classes"].append(HIDDEN_CLASS)
            if main and MAIN_CLASS not in last[0]["classes"]:
                last[0]["classes"].append(MAIN_CLASS)
            _separate(item, ", ")
            continue
        if main:
            item["classes"].append(MAIN_CLASS)
        extends_range = (
            last is not None
            and page is not None
            and last_page is not None
            and page == last_page + 1
            and not main
            and MAIN_CLASS not in last[0]["classes"]
        )
        if extends_range and last is not None:
            if last[2]:
                last[0]["classes"].append(HIDDEN_CLASS)
                shown.pop()
            _separate(item, RANGE_DASH)
            shown.append((item, page, True))
            continue
        _separate(item, ", " if shown else "")
        shown.append((item, page, False))


def _separate(item: nodes.inline, separator: str) -> None:
    if item[0].astext() != separator:
        item.replace(item[0], nodes.Text(separator))


def anchor_index_targets(chapter: nodes.Element) -> None:
    """Put the anchor of an ``{index}`` directive on the block it stands before.

    Alone between two blocks, the empty anchor could fall at the foot of the
    page before the indexed text; on the block, it is on that text's page.
    """
    for index in list(chapter.findall(addnodes.index)):
        target = index.next_node(descend=False, siblings=True)
        if not isinstance(target, nodes.target) or target.get("refuri") or not target["ids"]:
            continue
        if isinstance(target.parent, nodes.TextElement):
            continue  # the role: the anchor already stands in the indexed text
        block = target.next_node(descend=False, siblings=True)
        if isinstance(block, nodes.Element) and not isinstance(block, nodes.Invisible):
            block["ids"].extend(target["ids"])
            target.parent.remove(target)
