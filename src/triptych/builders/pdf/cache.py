"""PDFs kept beside the doctrees, so that a rebuild lays out only what changed.

Each PDF the builder writes (the book, each article) is kept under a key: a
hash of the print HTML it was laid out from, of everything the layout reads
besides (the stylesheets and settings, the images, the versions of triptych,
WeasyPrint and pydyf). A rebuild whose print HTML and settings are the same
takes the kept PDF instead of laying it out again. Only PDFs whose layout
reported nothing are kept, so a rebuild never hides a warning the first
build gave.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

from triptych import __version__
from triptych.builders import write_atomically

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


def images_digest(images: Iterable[Path]) -> str:
    """What a layout reads of *images*: their names and contents."""
    digest = hashlib.sha256()
    for image in sorted(images):
        digest.update(image.name.encode() + b"\0")
        try:
            digest.update(hashlib.sha256(image.read_bytes()).digest())
        except OSError:
            digest.update(b"missing")
    return digest.hexdigest()


def layout_key(html: str, settings: str, images: str) -> str:
    """The key of a PDF laid out from *html* with *settings*, reading images of the digest
    *images* (:func:`images_digest`)."""
    digest = hashlib.sha256()
    for part in (__version__, _version("weasyprint"), _version("pydyf"), settings, images, html):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class KeptPdf:
    pdf: bytes
    pages: int
    #: What the builder noted of the layout besides its PDF (a part's page map).
    details: dict[str, Any] = field(default_factory=dict)


class LayoutCache:
    """PDFs by name (``book``, an article's document name) under *folder*."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, name: str) -> tuple[Path, Path]:
        return self.folder / f"{name}.pdf", self.folder / f"{name}.json"

    def get(self, name: str, key: str) -> KeptPdf | None:
        """The PDF kept for *name* under *key*, or None."""
        pdf_path, note_path = self._paths(name)
        try:
            note = json.loads(note_path.read_text(encoding="utf-8"))
            if not isinstance(note, dict) or note.get("key") != key:
                return None
            pdf = pdf_path.read_bytes()
        except (OSError, ValueError):
            return None
        pages, details = note.get("pages"), note.get("details", {})
        if (
            hashlib.sha256(pdf).hexdigest() != note.get("sha256")
            or not isinstance(pages, int)
            or not isinstance(details, dict)
        ):
            return None
        return KeptPdf(pdf, pages, details)

    def put(
        self, name: str, key: str, pdf: bytes, pages: int, details: dict[str, Any] | None = None
    ) -> None:
        pdf_path, note_path = self._paths(name)
        write_atomically(pdf_path, pdf)
        note = {
            "key": key,
            "pages": pages,
            "sha256": hashlib.sha256(pdf).hexdigest(),
            "details": details or {},
        }
        write_atomically(note_path, json.dumps(note, sort_keys=True).encode())

    def keep_only(self, folder: str, names: set[str]) -> None:
        """Remove what *folder* keeps besides *names* (parts no longer laid out)."""
        for path in sorted((self.folder / folder).glob("*")):
            if path.stem not in names and path.suffix in {".pdf", ".json"}:
                path.unlink(missing_ok=True)
