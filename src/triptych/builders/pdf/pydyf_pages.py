"""pydyf's page references, kept instead of rebuilt on every access.

``pydyf.PDF.page_references`` builds a tuple of every page's reference each time
it is read. WeasyPrint reads it once per structure element when it tags a PDF
(PDF/UA) and once per link destination, so tagging a book costs time in the
square of its page count (at 1,256 pages: 24.5 s). The replacement keeps the
tuple and builds it again only when pages were added since.

pydyf adds pages in ``PDF.add_page`` alone, by extending ``pages['Kids']`` with
``number, 0, 'R'``; the cache is keyed by that array and its length, so a page
added by any other means still makes it stale. The property is replaced only
for the pydyf versions checked here (:data:`CHECKED_VERSIONS`), whose
``page_references`` is the one described.
"""

from __future__ import annotations

from typing import Any

#: pydyf releases whose ``PDF.page_references`` this module knows (pyproject bounds pydyf).
CHECKED_VERSIONS = frozenset({"0.13.0"})

_CACHE_ATTRIBUTE = "_triptych_page_references"


def _kept_page_references(pdf: Any) -> tuple[bytes, ...]:
    kids = pdf.pages["Kids"]
    cached = getattr(pdf, _CACHE_ATTRIBUTE, None)
    if cached is not None and cached[0] is kids and cached[1] == len(kids):
        return cached[2]  # type: ignore[no-any-return]
    references = tuple(f"{number} 0 R".encode("ascii") for number in kids[::3])
    setattr(pdf, _CACHE_ATTRIBUTE, (kids, len(kids), references))
    return references


def keep_page_references(version: str | None = None) -> bool:
    """Replace ``pydyf.PDF.page_references`` if pydyf (or *version*) is a checked release.

    Returns whether the replacement is in place. Calling it again changes nothing.
    """
    import pydyf

    if (version or pydyf.__version__) not in CHECKED_VERSIONS:
        return False
    if pydyf.PDF.page_references.fget is not _kept_page_references:
        pydyf.PDF.page_references = property(_kept_page_references)
    return True
