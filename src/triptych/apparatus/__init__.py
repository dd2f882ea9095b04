"""The scholarly apparatus every edition shares: citations, the index, the imprint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from triptych.apparatus import citations, index

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def setup(app: Sphinx) -> None:
    citations.setup(app)
    index.setup(app)
