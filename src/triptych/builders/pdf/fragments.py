"""The print HTML of each element of the book, kept so that an edit writes only what changed.

Writing the print HTML walks every chapter with the print translator, after a
deep copy (the writer adds to what it walks). Most of an edit's chapters are
as they were, so each element's HTML is kept under a digest of the element as
it is about to be written (its nodes pickled, after every change the book
makes to it: unlinked references, page references, moved figures, settled page
lists), with what the writer reads beside it: the builder's settings and code
(:func:`triptych.builders.written.settings_digest`), the book's documents and
images (:func:`triptych.builders.pdf.chapters.shared_key`), and the section and
figure numbers of the chapter's document (its written digest).

An element that cannot be pickled is written every time.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from typing import TYPE_CHECKING, Any

from docutils import nodes

from triptych.builders import write_atomically

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path


class _ElementPickler(pickle.Pickler):
    """Pickles an element's nodes by value, to be digested, not read back.

    Without its memo (``fast``), so that equal strings give equal bytes whether or not
    they are one object; without the links up to parents and documents, which would
    make a cycle of every node. A node outside the element (a target an attribute
    such as ``expect_referenced_by_id`` still names after a transform removed it) is
    written as its class and ids, not with the tree it belongs to.
    """

    def __init__(self, stream: io.BytesIO, inside: set[int]) -> None:
        super().__init__(stream, protocol=pickle.HIGHEST_PROTOCOL)
        self.fast = True
        self.inside = inside

    def reducer_override(self, obj: object) -> Any:
        if not isinstance(obj, nodes.Node):
            return NotImplemented
        name = type(obj).__name__
        if isinstance(obj, nodes.Text):
            return (str, (f"{name}:{obj}",))
        if id(obj) not in self.inside or not isinstance(obj, nodes.Element):
            ids = obj.get("ids", ()) if isinstance(obj, nodes.Element) else ()
            return (str, (f"{name} outside:{ids}",))
        state = {key: value for key, value in vars(obj).items() if key not in _LINKS}
        return (str, (name,), state)


#: What links a node to the tree around it, not part of what it is.
_LINKS = frozenset({"parent", "document"})


def element_key(element: nodes.Element, context: str) -> str | None:
    """The digest of *element* as written in *context*; None when it cannot be pickled."""
    stream = io.BytesIO()
    try:
        _ElementPickler(stream, {id(node) for node in element.findall()}).dump(element)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
        return None
    return hashlib.sha256(context.encode() + b"\0" + stream.getvalue()).hexdigest()


class FragmentCache:
    """The print HTML of elements under *folder*, one file each, named by their key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, key: str) -> str | None:
        try:
            return (self.folder / f"{key}.html").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, key: str, html: str) -> None:
        write_atomically(self.folder / f"{key}.html", html.encode())

    def keep_only(self, keys: set[str]) -> None:
        """Remove what no element of the last book was written as."""
        kept = {f"{key}.html" for key in keys}
        for path in sorted(self.folder.glob("*.html")):
            if path.name not in kept:
                path.unlink(missing_ok=True)

    def written(
        self,
        elements: Sequence[nodes.Element],
        contexts: Sequence[str | None],
        write: Callable[[list[nodes.Element]], list[str]],
    ) -> list[str]:
        """The print HTML of each of *elements*: kept, or written by *write* and kept.

        *contexts* says what else each element's HTML depends on (None: not kept); *write*
        writes the elements it is given in one document, in order, and may change them.
        """
        keys = [
            element_key(element, context) if context is not None else None
            for element, context in zip(elements, contexts, strict=True)
        ]
        found: list[str | None] = [self.get(key) if key is not None else None for key in keys]
        missing = [number for number, html in enumerate(found) if html is None]
        if missing:
            for number, html in zip(
                missing, write([elements[number] for number in missing]), strict=True
            ):
                found[number] = html
                key = keys[number]
                if key is not None:
                    self.put(key, html)
        self.keep_only({key for key in keys if key is not None})
        return [html or "" for html in found]
