"""Offprints: each article's PDF made of the book's own pages, after a cover page.

An offprint is cut from the finished book, whichever way the book was laid
out: the pages of one chapter, with the page numbers the book prints, and
what a PDF holds for them besides their content. :func:`extract` keeps

- the named destinations that lead to a kept page, and the links to them;
  a link to a page left out goes to the site (``html_baseurl``) or is taken
  away, its text staying;
- the outline items that lead to a kept page, nested as in the book;
- the structure tree of a tagged book: the structure elements with content
  on a kept page, and the parent tree's entries of the kept pages and their
  annotations, so that no element points at a page left out.

:class:`Book` indexes the book once, so that each extract reads only what it
keeps. The cover pages of all articles are laid out as one document and cut
the same way, a page each; :func:`offprint` stitches a cover and its chapter
(:mod:`.stitch`) and titles the result.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pikepdf

from triptych.builders.pdf.stitch import stitch

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

_OBJECT_REFERENCE = "/OBJR"


def destination_pages(pdf: pikepdf.Pdf) -> dict[str, int]:
    """The page (from 1) each named destination of *pdf* leads to."""
    numbers = {page.obj.objgen: number for number, page in enumerate(pdf.pages, start=1)}
    pages: dict[str, int] = {}
    for name, destination in _named_destinations(pdf).items():
        page = _destination_page(destination)
        if page is not None and page.objgen in numbers:
            pages[name] = numbers[page.objgen]
    return pages


def article_pages(
    pages: Mapping[str, int], starts: Iterable[str], article: str, page_count: int
) -> range:
    """The pages (from 1) of the part of the book that begins at anchor *article*.

    It ends on the page before the next of *starts* (the anchors where each chapter,
    part and piece of back matter begins), or on the book's last page.
    """
    first = pages[article]
    later = [pages[start] for start in starts if start in pages and pages[start] > first]
    return range(first, (min(later) if later else page_count + 1))


def page_span(pages: range) -> str:
    """How a citation gives *pages*: "p. 7", "pp. 13\u201327"."""
    if len(pages) <= 1:
        return f"p. {pages.start}"
    return f"pp. {pages.start}\u2013{pages[-1]}"


@dataclass
class _Outline:
    title: str
    #: The destination's page in the document it was read from, and the rest of it (/XYZ ...).
    page: pikepdf.Object | None
    view: list[pikepdf.Object]
    children: list[_Outline] = field(default_factory=list)


class Book:
    """A finished book, indexed once for the extracts cut from it.

    Each extract opens the book's bytes anew, so objects are found again by their
    numbers, which every opening of the same bytes gives alike.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        with pikepdf.open(io.BytesIO(data)) as pdf:
            self.page_count = len(pdf.pages)
            #: The page (from 1) each named destination leads to.
            self.pages = destination_pages(pdf)
            page_index = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
            #: The first and last page index with content of each structure element below it.
            self.element_pages: dict[tuple[int, int], tuple[int, int] | None] = {}
            root = pdf.Root.get("/StructTreeRoot")
            if root is not None:
                self._index_element(root, page_index)

    def _index_element(
        self, element: pikepdf.Object, page_index: dict[tuple[int, int], int]
    ) -> tuple[int, int] | None:
        own_page = element.get("/Pg")
        found: list[int] = []
        if own_page is not None and own_page.objgen in page_index:
            found.append(page_index[own_page.objgen])
        for kid in _kids(element):
            if isinstance(kid, pikepdf.Dictionary) and _is_element(kid):
                span = self._index_element(kid, page_index)
                if span is not None:
                    found.extend(span)
                continue
            page = _content_page(kid, own_page)
            if page is not None and page.objgen in page_index:
                found.append(page_index[page.objgen])
        span = (min(found), max(found)) if found else None
        if element.is_indirect:
            self.element_pages[element.objgen] = span
        return span

    def extract(self, pages: range, redirect: Callable[[str], str | None]) -> bytes:
        """The book's pages *pages* (indices from 0) as a document of their own.

        A link to a named destination on another page goes where *redirect* says,
        or is taken away when it says None; a link to a page by number, to none.
        """
        pdf = pikepdf.open(io.BytesIO(self.data))
        kept = {pdf.pages[index].obj.objgen for index in pages}
        destinations = {
            name: destination
            for name, destination in _named_destinations(pdf).items()
            if (page := _destination_page(destination)) is not None and page.objgen in kept
        }
        outline = _kept_outline(_read_outline(pdf), kept)
        structure = pdf.Root.get("/StructTreeRoot")
        if structure is not None:
            _prune_element(structure, pages, self.element_pages, kept)
        removed_links: set[tuple[int, int]] = set()
        for index in pages:
            removed_links |= _retarget_links(pdf.pages[index], set(destinations), redirect, kept)
        if structure is not None:
            _keep_parent_tree(pdf, structure, [pdf.pages[index] for index in pages])
            _drop_link_references(structure, removed_links)
        del pdf.pages[pages.stop :]
        del pdf.pages[: pages.start]
        _write_destinations(pdf, destinations)
        _write_outline(pdf, outline)
        return _saved(pdf)


def offprint(cover: bytes, chapter: bytes, title: str, first_page: int) -> bytes:
    """The article PDF: *cover* (one page), then *chapter*, the book's pages from *first_page*.

    Titled *title* (information dictionary and XMP); its pages are labelled "Cover", then with
    the numbers the book prints, so a viewer shows the same page numbers as the footers.
    """
    with pikepdf.open(io.BytesIO(stitch([cover, chapter]).pdf)) as pdf:
        _adopt_strays(pdf)
        with pdf.open_metadata(set_pikepdf_as_editor=False) as metadata:
            metadata["dc:title"] = title
        pdf.docinfo["/Title"] = title
        pdf.Root.PageLabels = pikepdf.Dictionary(
            Nums=pikepdf.Array(
                [
                    0, pikepdf.Dictionary(P=pikepdf.String("Cover")),
                    1, pikepdf.Dictionary(S=pikepdf.Name.D, St=first_page),
                ]
            )
        )  # fmt: skip
        if "/ViewerPreferences" not in pdf.Root:
            pdf.Root.ViewerPreferences = pikepdf.Dictionary()
        pdf.Root.ViewerPreferences.DisplayDocTitle = True
        return _saved(pdf)


def _saved(pdf: pikepdf.Pdf) -> bytes:
    """*pdf*'s bytes, the same for the same document (its /ID a hash of its content)."""
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def _adopt_strays(pdf: pikepdf.Pdf) -> None:
    """Give the document element the elements whose parent is a document element of no tree.

    WeasyPrint tags running heads and page numbers as elements that name the document
    element as their parent without being among its kids; stitching gives the kids a new
    document element and leaves those pointing at a copy of the old one, which would bring
    the old structure tree along.
    """
    root = pdf.Root.get("/StructTreeRoot")
    tops = _kids(root) if root is not None else []
    if root is None or "/ParentTree" not in root or len(tops) != 1:
        return
    document = tops[0]
    for value in pikepdf.NumberTree(root.ParentTree).values():
        for element in value if isinstance(value, pikepdf.Array) else [value]:
            _adopt(element, root, document)


def _adopt(element: pikepdf.Object, root: pikepdf.Object, document: pikepdf.Object) -> None:
    seen = set()
    while isinstance(element, pikepdf.Dictionary) and element.objgen not in seen:
        seen.add(element.objgen)
        parent = element.get("/P")
        if parent is None or parent.objgen in (root.objgen, document.objgen):
            return
        if parent.get("/S") == "/Document":
            element.P = document
            return
        element = parent


# --- reading ------------------------------------------------------------------------------


def _kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _is_element(kid: pikepdf.Object) -> bool:
    kind = kid.get("/Type")
    return "/S" in kid and (kind is None or kind == "/StructElem")


def _content_page(kid: pikepdf.Object, own_page: pikepdf.Object | None) -> pikepdf.Object | None:
    """The page a marked-content id or a content reference of an element is drawn on."""
    if isinstance(kid, pikepdf.Dictionary):
        return kid.get("/Pg", own_page)
    return own_page


def _named_destinations(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    return {
        str(name): _destination_array(value)
        for name, value in pikepdf.NameTree(names.Dests).items()
    }


def _destination_array(value: pikepdf.Object) -> pikepdf.Object:
    return value.D if isinstance(value, pikepdf.Dictionary) else value


def _destination_page(destination: pikepdf.Object) -> pikepdf.Object | None:
    if isinstance(destination, pikepdf.Array) and len(destination) and destination[0].is_indirect:
        return destination[0]
    return None


def _read_outline(pdf: pikepdf.Pdf) -> list[_Outline]:
    outlines = pdf.Root.get("/Outlines")
    items: list[_Outline] = []
    item = outlines.get("/First") if outlines is not None else None
    while item is not None:
        items.append(_outline_item(item))
        item = item.get("/Next")
    return items


def _outline_item(item: pikepdf.Object) -> _Outline:
    destination = item.get("/Dest")
    if destination is None and "/A" in item and item.A.get("/S") == "/GoTo":
        destination = item.A.D
    page = _destination_page(destination) if destination is not None else None
    view = list(destination[1:]) if page is not None and destination is not None else []
    children = []
    child = item.get("/First")
    while child is not None:
        children.append(_outline_item(child))
        child = child.get("/Next")
    return _Outline(str(item.get("/Title", "")), page, view, children)


def _kept_outline(items: list[_Outline], kept: set[tuple[int, int]]) -> list[_Outline]:
    """The items leading to a kept page; an item leading elsewhere gives way to its kept ones."""
    result = []
    for item in items:
        children = _kept_outline(item.children, kept)
        if item.page is not None and item.page.objgen in kept:
            result.append(_Outline(item.title, item.page, item.view, children))
        else:
            result.extend(children)
    return result


# --- cutting ------------------------------------------------------------------------------


def _prune_element(
    element: pikepdf.Object,
    pages: range,
    element_pages: dict[tuple[int, int], tuple[int, int] | None],
    kept: set[tuple[int, int]],
) -> None:
    """Keep below *element* what has content on *pages*; an element wholly on them, whole."""
    own_page = element.get("/Pg")
    kids: list[pikepdf.Object] = []
    for kid in _kids(element):
        if isinstance(kid, pikepdf.Dictionary) and _is_element(kid):
            if not kid.is_indirect:
                _prune_element(kid, pages, element_pages, kept)
                if _kids(kid):
                    kids.append(kid)
                continue
            span = element_pages.get(kid.objgen)
            if span is None:
                continue  # nothing of it is drawn, on any page
            first, last = span
            if last < pages.start or first >= pages.stop:
                continue
            if not (pages.start <= first and last < pages.stop):
                _prune_element(kid, pages, element_pages, kept)
            kids.append(kid)
            continue
        page = _content_page(kid, own_page)
        if page is not None and page.objgen in kept:
            kids.append(kid)
    if "/K" in element:
        element.K = pikepdf.Array(kids)
    if own_page is not None and own_page.objgen not in kept:
        del element["/Pg"]  # its content on kept pages names its pages itself


def _link_destination(annotation: pikepdf.Object) -> pikepdf.Object | None:
    if "/Dest" in annotation:
        return annotation.Dest
    action = annotation.get("/A")
    if action is not None and action.get("/S") == "/GoTo":
        return action.get("/D")
    return None


def _retarget_links(
    page: pikepdf.Page,
    destinations: set[str],
    redirect: Callable[[str], str | None],
    kept: set[tuple[int, int]],
) -> set[tuple[int, int]]:
    """Point the page's links that lead off the kept pages at *redirect*'s URI, or take them
    away; returns the object numbers of those taken away."""
    annotations = page.obj.get("/Annots")
    if annotations is None:
        return set()
    staying = []
    removed = set()
    for annotation in annotations:
        target = _link_destination(annotation) if annotation.get("/Subtype") == "/Link" else None
        if target is None:
            staying.append(annotation)
            continue
        if isinstance(target, (pikepdf.String, pikepdf.Name)):
            name = str(target).removeprefix("/")
            if name in destinations:
                staying.append(annotation)
                continue
            uri = redirect(name)
        else:
            target_page = _destination_page(target)
            if target_page is not None and target_page.objgen in kept:
                staying.append(annotation)
                continue
            uri = None
        if uri is None:
            removed.add(annotation.objgen)
            continue
        for key in ("/Dest", "/A"):
            if key in annotation:
                del annotation[key]
        annotation.A = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(uri))
        staying.append(annotation)
    page.obj.Annots = pikepdf.Array(staying)
    return removed


def _keep_parent_tree(
    pdf: pikepdf.Pdf, structure: pikepdf.Object, pages: list[pikepdf.Page]
) -> None:
    """The parent tree with the entries of *pages* and of their annotations only."""
    if "/ParentTree" not in structure:
        return
    tree = pikepdf.NumberTree(structure.ParentTree)
    keys = []
    for page in pages:
        if "/StructParents" in page.obj:
            keys.append(int(page.obj.StructParents))
        keys.extend(
            int(annotation.StructParent)
            for annotation in page.obj.get("/Annots", ())
            if "/StructParent" in annotation
        )
    _write_parent_tree(pdf, structure, [(key, tree[key]) for key in set(keys) if key in tree])


def _write_parent_tree(
    pdf: pikepdf.Pdf, root: pikepdf.Object, entries: list[tuple[int, pikepdf.Object]]
) -> None:
    """A parent tree of *entries* (key, value), in one list: no reader needs more."""
    ordered = sorted(entries, key=lambda entry: entry[0])
    numbers = pikepdf.Array([part for key, value in ordered for part in (key, value)])
    root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=numbers))
    root.ParentTreeNextKey = ordered[-1][0] + 1 if ordered else 0


def _drop_link_references(element: pikepdf.Object, removed: set[tuple[int, int]]) -> None:
    """Take the references to removed link annotations out of the structure tree.

    A link element left without an annotation is a span: its text stays.
    """
    if not removed:
        return
    kids = _kids(element)
    staying = []
    lost_reference = False
    for kid in kids:
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == _OBJECT_REFERENCE:
            if kid.Obj.objgen in removed:
                lost_reference = True
                continue
        elif isinstance(kid, pikepdf.Dictionary) and _is_element(kid):
            _drop_link_references(kid, removed)
        staying.append(kid)
    if lost_reference:
        element.K = pikepdf.Array(staying)
        if element.get("/S") == "/Link" and not any(
            isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == _OBJECT_REFERENCE
            for kid in staying
        ):
            element.S = pikepdf.Name.Span


def _write_destinations(pdf: pikepdf.Pdf, destinations: Mapping[str, pikepdf.Object]) -> None:
    names = pikepdf.NameTree.new(pdf)
    for name in sorted(destinations):
        names[name] = destinations[name]
    if "/Names" not in pdf.Root:
        pdf.Root.Names = pikepdf.Dictionary()
    pdf.Root.Names.Dests = names.obj


def _write_outline(pdf: pikepdf.Pdf, items: list[_Outline]) -> None:
    def made(item: _Outline) -> pikepdf.OutlineItem:
        destination = pikepdf.Array([item.page, *item.view]) if item.page is not None else None
        made_item = pikepdf.OutlineItem(item.title, destination)
        made_item.children.extend(made(child) for child in item.children)
        return made_item

    with pdf.open_outline() as outline:
        outline.root[:] = [made(item) for item in items]
