"""Offprints: each article's PDF made of the book's own pages, after a cover page.

An offprint is cut from the finished book, whichever way the book was laid
out: the pages of one chapter, with the page numbers the book prints, and
what a PDF holds for them besides their content:

- the named destinations that lead to a kept page, and the links to them;
  a link to a page left out goes to the site (``html_baseurl``) or is taken
  away, its text staying;
- the outline items that lead to a kept page, nested as in the book;
- the structure tree of a tagged book: the structure elements with content
  on a kept page, under one document element, and the parent tree's entries
  of the kept pages and their annotations, so that no element points at a
  page left out.

The cover pages of all articles are laid out as one document and cut the same
way, a page each. :class:`Book` opens and indexes a PDF once; :func:`offprint`
copies the pages it is given of one or more books into a new document, so each
offprint costs what it keeps, not what the book holds.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self
from urllib.parse import unquote

import pikepdf

from triptych.builders.pdf.stitch import DESTINATION_SCHEME, foreign_copy, new_structure_tree

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from types import TracebackType

_OBJECT_REFERENCE = "/OBJR"
#: What the offprint takes from its first piece's catalog (the cover's).
_CATALOG_ENTRIES = ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata")
#: Copying pages alone loses their named destinations, pikepdf warns; they are carried here.
_PAGE_COPY_WARNING: type[Warning] = getattr(pikepdf, "PageCopyWarning", UserWarning)

ObjectId = tuple[int, int]


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
    #: The index of the page the item leads to, and the rest of its destination (/XYZ ...).
    page: int | None
    view: list[pikepdf.Object]
    children: list[_Outline] = field(default_factory=list)

    #: The first and last page index this item and those below it lead to.
    span_of_pages: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        pages = [self.page] if self.page is not None else []
        for child in self.children:
            if child.span_of_pages is not None:
                pages.extend(child.span_of_pages)
        self.span_of_pages = (min(pages), max(pages)) if pages else None


class Book:
    """A finished PDF, opened and indexed once for the pages cut from it."""

    def __init__(self, data: bytes) -> None:
        self.pdf = pikepdf.open(io.BytesIO(data))
        self.page_count = len(self.pdf.pages)
        self._page_index = {page.obj.objgen: index for index, page in enumerate(self.pdf.pages)}
        #: The page (from 1) each named destination leads to.
        self.pages: dict[str, int] = {}
        #: (name, the destination after its page) of the named destinations, by page index.
        self.destinations: dict[int, list[tuple[str, list[pikepdf.Object]]]] = {}
        for name, destination in _named_destinations(self.pdf).items():
            index = self.index_of(_destination_page(destination))
            if index is not None:
                self.pages[name] = index + 1
                self.destinations.setdefault(index, []).append((name, list(destination[1:])))
        self.outline = [self._outline_item(item) for item in _outline_items(self.pdf.Root)]
        self.structure = _structure(self.pdf)
        #: The first and last page index with content of each structure element below it.
        self.element_pages: dict[ObjectId, tuple[int, int] | None] = {}
        self.parent_tree: dict[int, pikepdf.Object] = {}
        if self.structure is not None:
            root, _top = self.structure
            self._index_element(root)
            if "/ParentTree" in root:
                tree = pikepdf.NumberTree(root.ParentTree)
                self.parent_tree = {int(key): value for key, value in tree.items()}

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.pdf.close()

    def index_of(self, page: pikepdf.Object | None) -> int | None:
        """The index (from 0) of *page* in this book, or None."""
        return self._page_index.get(page.objgen) if page is not None else None

    def _outline_item(self, item: pikepdf.Object) -> _Outline:
        destination = item.get("/Dest")
        if destination is None and "/A" in item and item.A.get("/S") == "/GoTo":
            destination = item.A.D
        page = _destination_page(destination) if destination is not None else None
        index = self.index_of(page)
        view = list(destination[1:]) if index is not None and destination is not None else []
        children = [self._outline_item(child) for child in _outline_items(item)]
        return _Outline(str(item.get("/Title", "")), index, view, children)

    def _index_element(self, element: pikepdf.Object) -> tuple[int, int] | None:
        own_page = element.get("/Pg")
        found = [index] if (index := self.index_of(own_page)) is not None else []
        for kid in _kids(element):
            if isinstance(kid, pikepdf.Dictionary) and _is_element(kid):
                span = self._index_element(kid)
                if span is not None:
                    found.extend(span)
            elif (index := self.index_of(_content_page(kid, own_page))) is not None:
                found.append(index)
        span = (min(found), max(found)) if found else None
        if element.is_indirect:
            self.element_pages[element.objgen] = span
        return span


@dataclass(frozen=True)
class Piece:
    """Pages of a book for an offprint, and where its links off those pages go."""

    book: Book
    #: Page indices (from 0).
    pages: range
    redirect: Callable[[str], str | None] = lambda _name: None
    #: Blank pages after these: those the book puts before the chapter that follows, when
    #: the pages are cut from a part of the book laid out on its own.
    blank_pages_after: int = 0


def destination_pages(data: bytes) -> tuple[dict[str, int], int]:
    """The page (from 1) each named destination of the PDF *data* leads to, and its pages.

    Read without indexing the rest, as :class:`Book` does: for the parts of a book, whose
    pages are cut one part at a time.
    """
    with pikepdf.open(io.BytesIO(data)) as pdf:
        index = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
        pages = {}
        for name, destination in _named_destinations(pdf).items():
            page = _destination_page(destination)
            if page is not None and page.objgen in index:
                pages[name] = index[page.objgen] + 1
        return pages, len(pdf.pages)


def offprint(pieces: Sequence[Piece], title: str, first_label: int) -> bytes:
    """The pages of *pieces*, one after another, as one document titled *title*.

    The first piece's catalog gives the document its language, marking, viewer
    preferences and metadata (the title changed); its pages are labelled "Cover" and
    the next ones from *first_label*, so a viewer shows the numbers the footers print.
    """
    with pikepdf.new() as pdf:
        first = pieces[0].book.pdf
        for key in _CATALOG_ENTRIES:
            if key in first.Root:
                pdf.Root[key] = foreign_copy(pdf, first, first.Root[key])
        info = first.trailer.get("/Info")
        if info is not None:
            pdf.trailer.Info = foreign_copy(pdf, first, info)
        output = _Output(pdf, tagged=all(piece.book.structure for piece in pieces))
        for piece in pieces:
            output.add(piece)
        output.finish()
        # A part's pages share one resource dictionary, naming every image and font of the
        # part: an offprint keeps those its own pages draw.
        pdf.remove_unreferenced_resources()
        with pdf.open_metadata(set_pikepdf_as_editor=False) as metadata:
            metadata["dc:title"] = title
        pdf.docinfo["/Title"] = title
        pdf.Root.PageLabels = pikepdf.Dictionary(
            Nums=pikepdf.Array(
                [
                    0, pikepdf.Dictionary(P=pikepdf.String("Cover")),
                    1, pikepdf.Dictionary(S=pikepdf.Name.D, St=first_label),
                ]
            )
        )  # fmt: skip
        if "/ViewerPreferences" not in pdf.Root:
            pdf.Root.ViewerPreferences = pikepdf.Dictionary()
        pdf.Root.ViewerPreferences.DisplayDocTitle = True
        buffer = io.BytesIO()
        # deterministic_id: the /ID is a hash of the content, so the same book gives the
        # same offprint, byte for byte.
        pdf.save(
            buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate
        )
        return buffer.getvalue()


class _Output:
    """The offprint being put together: its pages, and what it holds for them."""

    def __init__(self, pdf: pikepdf.Pdf, *, tagged: bool) -> None:
        self.pdf = pdf
        self.destinations: dict[str, pikepdf.Object] = {}
        #: The outline, leading to pages by their index in the offprint.
        self.outline: list[_Outline] = []
        self.entries: dict[int, pikepdf.Object] = {}
        self.document: pikepdf.Object | None = None
        self.root: pikepdf.Object | None = None
        if tagged:
            self.root, self.document = new_structure_tree(pdf)

    def add(self, piece: Piece) -> None:
        book, source = piece.book, piece.book.pdf
        first_new = len(self.pdf.pages)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", _PAGE_COPY_WARNING)
            for index in piece.pages:
                self.pdf.pages.append(source.pages[index])
        copies: dict[int, pikepdf.Object] = {
            index: self.pdf.pages[first_new + offset].obj
            for offset, index in enumerate(piece.pages)
        }
        if piece.blank_pages_after and piece.pages:
            size = source.pages[piece.pages[-1]].mediabox
            for _blank in range(piece.blank_pages_after):
                self.pdf.add_blank_page(page_size=(float(size[2]), float(size[3])))
        names = set()
        for index in piece.pages:
            for name, view in book.destinations.get(index, ()):
                names.add(name)
                self.destinations.setdefault(name, pikepdf.Array([copies[index], *view]))
        positions = {index: first_new + offset for offset, index in enumerate(piece.pages)}
        self.outline.extend(_kept_outline(book.outline, positions))
        kept = {copy.objgen for copy in copies.values()}
        removed: list[pikepdf.Object] = []
        for copy in copies.values():
            removed += _retarget_links(copy, names, piece.redirect, kept)
        if self.document is not None and book.structure is not None:
            _StructureCopy(self, self.document, piece, copies).run(removed)

    def finish(self) -> None:
        names = pikepdf.NameTree.new(self.pdf)
        for name in sorted(self.destinations):
            names[name] = self.destinations[name]
        self.pdf.Root.Names = pikepdf.Dictionary(Dests=names.obj)

        def made(item: _Outline) -> pikepdf.OutlineItem:
            destination = (
                pikepdf.Array([self.pdf.pages[item.page].obj, *item.view])
                if item.page is not None
                else None
            )
            made_item = pikepdf.OutlineItem(item.title, destination)
            made_item.children.extend(made(child) for child in item.children)
            return made_item

        with self.pdf.open_outline() as outline:
            outline.root[:] = [made(item) for item in self.outline]
        if self.root is not None:
            keys = sorted(self.entries)
            numbers = pikepdf.Array([part for key in keys for part in (key, self.entries[key])])
            self.root.ParentTree = self.pdf.make_indirect(pikepdf.Dictionary(Nums=numbers))
            self.root.ParentTreeNextKey = keys[-1] + 1 if keys else 0
            self.pdf.Root.StructTreeRoot = self.root


class _StructureCopy:
    """The structure elements of a piece's pages, copied below the offprint's document.

    An element wholly on the kept pages is copied whole; one that has content on other
    pages too (the book's document element) gets a new element with its kept kids.
    Each copied element is cut loose from its parent in the book while it is copied:
    the way up would bring the whole book along.
    """

    def __init__(
        self,
        output: _Output,
        document: pikepdf.Object,
        piece: Piece,
        copies: dict[int, pikepdf.Object],
    ) -> None:
        self.output = output
        self.document = document
        self.book = piece.book
        self.pages = piece.pages
        self.copies = copies
        self.source_top = _kids(piece.book.pdf.Root.StructTreeRoot)[0]
        #: Elements of the book given a new element in the offprint, by their object ids.
        self.made: dict[ObjectId, pikepdf.Object] = {self.source_top.objgen: document}
        #: The elements just below the book's document element copied whole.
        self.copied_tops: set[ObjectId] = set()

    def run(self, removed_links: list[pikepdf.Object]) -> None:
        document = self.document
        kids = self._kept_kids(self.source_top, document)
        document.K = pikepdf.Array([*_kids(document), *kids])
        for copy in self.copies.values():
            if "/StructParents" in copy:
                copy.StructParents = self._entry(int(copy.StructParents))
            for annotation in copy.get("/Annots", ()):
                if "/StructParent" in annotation:
                    annotation.StructParent = self._entry(int(annotation.StructParent))
        for annotation in removed_links:
            key = annotation.get("/StructParent")
            link = self.book.parent_tree.get(int(key)) if key is not None else None
            if link is not None:
                _drop_link_reference(self._element(link), annotation)

    def _entry(self, key: int) -> int:
        """The parent tree entry *key* of the book, under a key of the offprint."""
        value = self.book.parent_tree.get(key)
        new_key = len(self.output.entries)
        if value is None:
            self.output.entries[new_key] = pikepdf.Array()
        elif isinstance(value, pikepdf.Array):
            self.output.entries[new_key] = pikepdf.Array([self._element(e) for e in value])
        else:
            self.output.entries[new_key] = self._element(value)
        return new_key

    def _element(self, element: pikepdf.Object) -> pikepdf.Object:
        """The offprint's copy of a book element that has content on a kept page."""
        if not isinstance(element, pikepdf.Dictionary) or not element.is_indirect:
            return element
        if element.objgen in self.made:
            return self.made[element.objgen]
        if element.objgen in self.book.element_pages:
            # In the tree, with content on a kept page: copied with the kids kept.
            return self.output.pdf.copy_foreign(element)
        # Not in the tree: it names a document element as its parent without being among its
        # kids (WeasyPrint's running heads and page numbers), so in the offprint too.
        stray = _below_a_document(element)
        if stray.objgen not in self.copied_tops:
            self._detached_copy(stray, self.document)
            self.copied_tops.add(stray.objgen)
        return self.output.pdf.copy_foreign(element)

    def _detached_copy(self, element: pikepdf.Object, parent: pikepdf.Object) -> pikepdf.Object:
        up = element.get("/P")
        if up is not None:
            del element["/P"]
        try:
            copy = self.output.pdf.copy_foreign(element)
        finally:
            if up is not None:
                element.P = up
        copy.P = parent
        return copy

    def _kept_kids(self, element: pikepdf.Object, parent: pikepdf.Object) -> list[pikepdf.Object]:
        """Copies of what *element* holds on the kept pages, for the offprint's *parent*."""
        own_page = element.get("/Pg")
        kids: list[pikepdf.Object] = []
        for kid in _kids(element):
            if isinstance(kid, pikepdf.Dictionary) and _is_element(kid):
                span = self.book.element_pages.get(kid.objgen) if kid.is_indirect else None
                if span is None or span[1] < self.pages.start or span[0] >= self.pages.stop:
                    continue  # nothing of it on the kept pages
                if self.pages.start <= span[0] and span[1] < self.pages.stop:
                    kids.append(self._detached_copy(kid, parent))
                    if element.objgen == self.source_top.objgen:
                        self.copied_tops.add(kid.objgen)
                else:
                    kids.append(self._partial(kid, parent))
                continue
            page = _content_page(kid, own_page)
            index = self.book.index_of(page)
            if index is None or index not in self.pages:
                continue
            if isinstance(kid, pikepdf.Dictionary):
                kids.append(self._content_reference(kid))
            else:
                kids.append(kid)
        return kids

    def _partial(self, element: pikepdf.Object, parent: pikepdf.Object) -> pikepdf.Object:
        """A new element for one that has content on the kept pages and on others."""
        made = self.output.pdf.make_indirect(pikepdf.Dictionary(P=parent))
        self.made[element.objgen] = made
        for key, value in element.items():
            if key not in ("/K", "/P", "/Pg"):
                made[key] = foreign_copy(self.output.pdf, self.book.pdf, value)
        index = self.book.index_of(element.get("/Pg"))
        if index is not None and index in self.copies:
            made.Pg = self.copies[index]
        made.K = pikepdf.Array(self._kept_kids(element, made))
        return made

    def _content_reference(self, reference: pikepdf.Object) -> pikepdf.Object:
        """A marked-content or object reference, pointing at the kept page's copy."""
        if reference.is_indirect:
            return self.output.pdf.copy_foreign(reference)
        copy = pikepdf.Dictionary()
        for key, value in reference.items():
            index = self.book.index_of(value) if key == "/Pg" else None
            page = self.copies.get(index) if index is not None else None
            copy[key] = (
                page if page is not None else foreign_copy(self.output.pdf, self.book.pdf, value)
            )
        return copy


# --- reading ------------------------------------------------------------------------------


def _structure(pdf: pikepdf.Pdf) -> tuple[pikepdf.Object, pikepdf.Object] | None:
    """The structure tree root of a tagged PDF and the one element below it, or None."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return None
    tops = [kid for kid in _kids(root) if isinstance(kid, pikepdf.Dictionary)]
    return (root, tops[0]) if len(tops) == 1 else None


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


def _below_a_document(element: pikepdf.Object) -> pikepdf.Object:
    """The ancestor of *element* (or itself) whose parent is a document element or none."""
    seen = set()
    while element.objgen not in seen:
        seen.add(element.objgen)
        parent = element.get("/P")
        if not isinstance(parent, pikepdf.Dictionary) or parent.get("/S") in (
            "/Document",
            None,
        ):
            return element
        element = parent
    return element


def _named_destinations(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    return {
        str(name): value.D if isinstance(value, pikepdf.Dictionary) else value
        for name, value in pikepdf.NameTree(names.Dests).items()
    }


def _destination_page(destination: pikepdf.Object) -> pikepdf.Object | None:
    if isinstance(destination, pikepdf.Array) and len(destination) and destination[0].is_indirect:
        return destination[0]
    return None


def _outline_items(parent: pikepdf.Object) -> list[pikepdf.Object]:
    """The outline items below *parent* (the catalog: the top ones)."""
    first = parent.Outlines.get("/First") if "/Outlines" in parent else parent.get("/First")
    items = []
    while first is not None:
        items.append(first)
        first = first.get("/Next")
    return items


def _kept_outline(items: list[_Outline], positions: dict[int, int]) -> list[_Outline]:
    """The items leading to a kept page, leading to where *positions* puts it; an item leading
    elsewhere gives way to its kept ones."""
    result = []
    first, last = min(positions), max(positions)
    for item in items:
        span = item.span_of_pages
        if span is None or span[1] < first or span[0] > last:
            continue
        children = _kept_outline(item.children, positions)
        if item.page is not None and item.page in positions:
            result.append(_Outline(item.title, positions[item.page], item.view, children))
        else:
            result.extend(children)
    return result


# --- links --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OtherPart:
    """The target of a link to an anchor another part of the book lays out."""

    name: str


def _link_destination(annotation: pikepdf.Object) -> pikepdf.Object | _OtherPart | None:
    if "/Dest" in annotation:
        return annotation.Dest
    action = annotation.get("/A")
    if action is not None and action.get("/S") == "/GoTo":
        return action.get("/D")
    if action is not None and action.get("/S") == "/URI":
        uri = str(action.get("/URI", ""))
        if uri.startswith(DESTINATION_SCHEME):
            return _OtherPart(unquote(uri.removeprefix(DESTINATION_SCHEME)))
    return None


def _retarget_links(
    page: pikepdf.Object,
    destinations: set[str],
    redirect: Callable[[str], str | None],
    kept: set[ObjectId],
) -> list[pikepdf.Object]:
    """Point the page's links that lead off the kept pages at *redirect*'s URI, or take them
    away; returns those taken away."""
    annotations = page.get("/Annots")
    if annotations is None:
        return []
    staying = []
    removed = []
    for annotation in annotations:
        target = _link_destination(annotation) if annotation.get("/Subtype") == "/Link" else None
        if target is None:
            staying.append(annotation)
            continue
        if isinstance(target, pikepdf.String | pikepdf.Name):
            name = str(target).removeprefix("/")
            if name in destinations:
                staying.append(annotation)
                continue
            uri = redirect(name)
        elif isinstance(target, _OtherPart):
            # A link a part laid out on its own could not resolve (see stitch_pdfs).
            if target.name in destinations:
                del annotation["/A"]
                annotation.Dest = pikepdf.String(target.name)
                staying.append(annotation)
                continue
            uri = redirect(target.name)
        else:
            target_page = _destination_page(target)
            if target_page is not None and target_page.objgen in kept:
                staying.append(annotation)
                continue
            uri = None
        if uri is None:
            removed.append(annotation)
            continue
        for key in ("/Dest", "/A"):
            if key in annotation:
                del annotation[key]
        annotation.A = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(uri))
        staying.append(annotation)
    page.Annots = pikepdf.Array(staying)
    return removed


def _drop_link_reference(element: pikepdf.Object, annotation: pikepdf.Object) -> None:
    """Take the reference to a removed link annotation out of its structure element.

    A link element left without an annotation is a span: its text stays.
    """
    kids = _kids(element)
    staying = [
        kid
        for kid in kids
        if not (
            isinstance(kid, pikepdf.Dictionary)
            and kid.get("/Type") == _OBJECT_REFERENCE
            and kid.Obj.objgen == annotation.objgen
        )
    ]
    if len(staying) == len(kids):
        return
    element.K = pikepdf.Array(staying)
    if element.get("/S") == "/Link" and not any(
        isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == _OBJECT_REFERENCE
        for kid in staying
    ):
        element.S = pikepdf.Name.Span
