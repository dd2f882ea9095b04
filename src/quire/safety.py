"""What content may reach while an edition is made: paths confined to the build's folders.

The PDF renderer's URL fetcher (:mod:`quire.fetcher`) builds on this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

#: Largest file the PDF renderer may read (images, fonts, stylesheets).
MAX_FETCH_BYTES = 32 * 1024 * 1024


class RefusedFetchError(ValueError):
    """A resource outside what the build may read."""


def is_within(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)
