"""PDFs laid out apart, stitched into one document with pikepdf.

WeasyPrint writes each PDF whole: its pages, its named destinations (``/Dests``
under ``/Names``), its outline and, when tagged, its structure tree. Appending
pages carries none of the rest, so :func:`stitch_pdfs` rebuilds them for the
sequence: one name tree, one outline nested by the levels of its items, one
structure tree under one ``Document`` element whose parent-tree keys follow on
from part to part (the pages' ``/StructParents`` and the annotations'
``/StructParent`` moved with them), and the metadata of the first PDF.

A link from one part to an anchor laid out in another cannot be resolved by
WeasyPrint; the part's HTML points it at :func:`destination_uri` instead, and
:func:`stitch_pdfs` turns every such link into a link to the named destination.

Pages are copied before the structure elements: pikepdf (qpdf) reuses what it
already copied from the same source, so the elements' ``/Pg`` and their
annotation references land on the stitched pages, not on copies of them.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import pikepdf

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

#: The scheme of a link to an anchor another part lays out (turned into a named destination).
DESTINATION_SCHEME = "triptych-destination:"

#: What the first part gives the stitched document's catalog.
CATALOG_FROM_FIRST = ("/Lang", "/MarkInfo", "/ViewerPreferences", "/OutputIntents", "/Metadata")


def destination_uri(name: str) -> str:
    """The link target that :func:`stitch_pdfs` resolves to the named destination *name*."""
    return DESTINATION_SCHEME + quote(name, safe="")


@dataclass(frozen=True)
class Part:
    """One PDF to stitch, with what the sequence needs to know about it."""

    pdf: bytes
    #: Blank pages put before this part's first page (a chapter starting on a right page).
    blank_pages_before: int = 0
    #: The level (from 1) of each outline item in reading order; None: as the part nests them.
    outline_levels: Sequence[int] | None = None


@dataclass(frozen=True)
class Stitched:
    pdf: bytes
    pages: int
    #: Names that links pointed at through :func:`destination_uri` and no part defines.
    unresolved: tuple[str, ...] = field(default=())


class StitchError(ValueError):
    """The parts cannot make one document (an outline whose levels do not match it)."""


def stitch_pdfs(parts: Sequence[Part | bytes]) -> Stitched:
    """The PDFs of *parts*, in order, as one document.

    Each part is opened, merged and closed before the next: the memory a stitching takes is
    the book's, not the book's twice (each part's objects read, then copied). The streams
    copied still read their data from the part's bytes when the book is saved; qpdf keeps
    those, not the part's objects.
    """
    chosen = [part if isinstance(part, Part) else Part(part) for part in parts]
    if not chosen:
        raise StitchError("nothing to stitch")
    target = pikepdf.new()
    try:
        return _stitch(target, chosen)
    finally:
        target.close()


def _stitch(target: pikepdf.Pdf, parts: list[Part]) -> Stitched:
    destinations: dict[str, pikepdf.Object] = {}
    outline: list[_OutlineEntry] = []
    structure = _Structure(target)
    version = "1.0"
    for number, part in enumerate(parts):
        with pikepdf.open(io.BytesIO(part.pdf)) as source:
            if number == 0:
                _copy_catalog(target, source)
            start = _append_pages(target, source, part.blank_pages_before)
            _copy_destinations(target, source, destinations)
            outline.extend(_outline_entries(target, part, source))
            structure.add(source, start)
            version = max(version, source.pdf_version)
    _write_destinations(target, destinations)
    unresolved = _resolve_part_links(target, set(destinations))
    _write_outline(target, outline)
    structure.finish()

    buffer = io.BytesIO()
    # deterministic_id: the /ID is a hash of the content, so two stitchings of the same parts
    # are byte-identical and different books still differ.
    target.save(
        buffer,
        min_version=version,
        deterministic_id=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )
    return Stitched(buffer.getvalue(), len(target.pages), tuple(sorted(unresolved)))


def _copy_catalog(target: pikepdf.Pdf, first: pikepdf.Pdf) -> None:
    for key in CATALOG_FROM_FIRST:
        if key in first.Root:
            target.Root[key] = foreign_copy(target, first, first.Root[key])
    if first.trailer.get("/Info") is not None:
        target.trailer.Info = foreign_copy(target, first, first.trailer.Info)


def _append_pages(target: pikepdf.Pdf, source: pikepdf.Pdf, blank_pages_before: int) -> int:
    """Append the pages of *source*, after *blank_pages_before* blank ones; the index of its
    first page in *target*."""
    for _blank in range(blank_pages_before):
        size = source.pages[0].mediabox if len(source.pages) else [0, 0, 595, 842]
        target.add_blank_page(page_size=(float(size[2]), float(size[3])))
    start = len(target.pages)
    with warnings.catch_warnings():
        # The named destinations, outline and structure are carried over apart from the pages.
        warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
        target.pages.extend(source.pages)
    return start


def new_structure_tree(pdf: pikepdf.Pdf) -> tuple[pikepdf.Object, pikepdf.Object]:
    """A structure tree root for *pdf*, and the one ``Document`` element below it."""
    root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
    document = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, P=root, K=pikepdf.Array()
        )
    )
    root.K = pikepdf.Array([document])
    return root, document


def foreign_copy(target: pikepdf.Pdf, source: pikepdf.Pdf, value: pikepdf.Object) -> pikepdf.Object:
    """*value* of *source* in *target*: containers copied (qpdf copies indirect objects only)."""
    if not isinstance(value, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream):
        return value
    if not value.is_indirect:
        value = source.make_indirect(value)
    return target.copy_foreign(value)


def _source_destinations(source: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Object]]:
    names = source.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return
    yield from pikepdf.NameTree(names.Dests).items()


def _copy_destinations(
    target: pikepdf.Pdf, source: pikepdf.Pdf, destinations: dict[str, pikepdf.Object]
) -> None:
    """Add the named destinations of *source*; a name keeps the first part's."""
    for name, destination in _source_destinations(source):
        if name not in destinations:
            destinations[name] = foreign_copy(target, source, destination)


def _write_destinations(target: pikepdf.Pdf, destinations: dict[str, pikepdf.Object]) -> None:
    """One name tree of every part's named destinations."""
    if not destinations:
        return
    # One flat, sorted name array, as WeasyPrint writes it: valid for any size, read by every
    # reader that reads WeasyPrint's.
    flat = pikepdf.Array()
    for name in sorted(destinations):
        flat.append(pikepdf.String(name))
        flat.append(destinations[name])
    target.Root.Names = pikepdf.Dictionary(Dests=pikepdf.Dictionary(Names=flat))


def _resolve_part_links(target: pikepdf.Pdf, names: set[str]) -> set[str]:
    """Turn links to :func:`destination_uri` into links to named destinations."""
    unresolved: set[str] = set()
    for page in target.pages:
        for annotation in page.obj.get("/Annots", ()):
            action = annotation.get("/A")
            if action is None or action.get("/S") != "/URI":
                continue
            uri = str(action.get("/URI", ""))
            if not uri.startswith(DESTINATION_SCHEME):
                continue
            name = unquote(uri.removeprefix(DESTINATION_SCHEME))
            del annotation["/A"]
            if name in names:
                annotation.Dest = pikepdf.String(name)
                annotation.Contents = pikepdf.String(name)
            else:
                # A link to nothing: kept as an annotation, without a target.
                unresolved.add(name)
    return unresolved


def _flattened(
    items: Sequence[pikepdf.OutlineItem], depth: int = 1
) -> Iterator[tuple[int, pikepdf.OutlineItem]]:
    for item in items:
        yield depth, item
        yield from _flattened(item.children, depth + 1)


#: An outline item to write: its level (from 1), title, destination and whether it is closed.
_OutlineEntry = tuple[int, str, Any, bool]


def _outline_entries(
    target: pikepdf.Pdf, part: Part, source: pikepdf.Pdf
) -> Iterator[_OutlineEntry]:
    with source.open_outline() as outline:
        flat = list(_flattened(outline.root))
    levels = list(part.outline_levels) if part.outline_levels is not None else None
    if levels is not None and len(levels) != len(flat):
        raise StitchError(f"{len(levels)} outline levels given for {len(flat)} outline items")
    for index, (depth, item) in enumerate(flat):
        destination = item.destination
        copied = (
            foreign_copy(target, source, destination)
            if isinstance(destination, pikepdf.Object)
            else None
        )
        level = levels[index] if levels is not None else depth
        yield level, item.title, copied, item.is_closed


def _write_outline(target: pikepdf.Pdf, entries: list[_OutlineEntry]) -> None:
    if not entries:
        return
    with target.open_outline() as outline:
        # The latest item at each level: an item nests under the last one above its level.
        open_items: list[tuple[int, pikepdf.OutlineItem]] = []
        for level, title, destination, closed in entries:
            item = pikepdf.OutlineItem(title, destination)
            item.is_closed = closed
            while open_items and open_items[-1][0] >= level:
                open_items.pop()
            (open_items[-1][1].children if open_items else outline.root).append(item)
            open_items.append((level, item))


class _Structure:
    """One structure tree: every part's elements under one Document, parent-tree keys
    renumbered."""

    def __init__(self, target: pikepdf.Pdf) -> None:
        self.target = target
        self.root: pikepdf.Object | None = None
        self.document: pikepdf.Object | None = None
        self.parent_tree: pikepdf.NumberTree | None = None
        self.next_key = 0
        #: The parts' own Document elements, copied: nothing may stay under them.
        self.part_documents: set[tuple[int, int]] = set()

    def add(self, source: pikepdf.Pdf, start: int) -> None:
        """Add the structure of *source*, whose pages begin at index *start*."""
        source_root = source.Root.get("/StructTreeRoot")
        if source_root is None:
            return
        target = self.target
        if self.root is None or self.document is None or self.parent_tree is None:
            self.root, self.document = new_structure_tree(target)
            self.parent_tree = pikepdf.NumberTree.new(target)
        document = self.document
        for element in _top_elements(source_root):
            copied = foreign_copy(target, source, element)
            if copied.get("/S") == "/Document":
                self.part_documents.add(copied.objgen)
                for child in copied.get("/K", ()):
                    if isinstance(child, pikepdf.Dictionary):
                        child.P = document
                    document.K.append(child)
            else:
                copied.P = document
                document.K.append(copied)
        offset = self.next_key
        entries = list(pikepdf.NumberTree(source_root.ParentTree).items())
        keys = [int(key) for key, _value in entries]
        # Copied in one go: qpdf copies the objects they share once, and one call costs less
        # than one a page and annotation.
        values = foreign_copy(target, source, pikepdf.Array([value for _key, value in entries]))
        for key, value in zip(keys, values, strict=True):
            self.parent_tree[key + offset] = value
        _renumber_pages(target, range(start, start + len(source.pages)), offset)
        self.next_key = offset + (max(keys) + 1 if keys else 0)

    def finish(self) -> None:
        if self.root is None or self.document is None or self.parent_tree is None:
            return
        _reparent(self.parent_tree, self.part_documents, self.document)
        self.root.ParentTree = self.parent_tree.obj
        self.root.ParentTreeNextKey = self.next_key
        self.target.Root.StructTreeRoot = self.root


def _reparent(
    parent_tree: pikepdf.NumberTree, part_documents: set[tuple[int, int]], document: pikepdf.Object
) -> None:
    """Move under *document* the elements still under a part's Document.

    WeasyPrint's running heads and page numbers name the Document as their parent without
    being among its kids: copied with the page, they would keep the part's Document, and with
    it a second structure tree root.
    """
    seen: set[tuple[int, int]] = set()
    for value in parent_tree.values():
        for element in value if isinstance(value, pikepdf.Array) else [value]:
            current = element
            while isinstance(current, pikepdf.Dictionary) and current.objgen not in seen:
                seen.add(current.objgen)
                parent = current.get("/P")
                if not isinstance(parent, pikepdf.Dictionary):
                    break
                if parent.objgen in part_documents:
                    current.P = document
                    break
                current = parent


def _renumber_pages(target: pikepdf.Pdf, pages: range, offset: int) -> None:
    """Move the parent-tree keys of *pages* and of their annotations by *offset*."""
    for index in pages:
        page = target.pages[index].obj
        if "/StructParents" in page:
            page.StructParents = int(page.StructParents) + offset
        for annotation in page.get("/Annots", ()):
            if "/StructParent" in annotation:
                annotation.StructParent = int(annotation.StructParent) + offset


def _top_elements(source_root: pikepdf.Object) -> list[pikepdf.Object]:
    kids = source_root.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]
