"""Checks that keep every edition readable without sight: a text alternative for each image."""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.util import logging

from triptych.diagnostics import Subtype, warn

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)


def _check_alt_text(app: Sphinx, doctree: nodes.document) -> None:
    for image in doctree.findall(nodes.image):
        if not str(image.get("alt", "")).strip():
            warn(
                logger, Subtype.IMAGE_ALT,
                "image %s has no alt text; describe it with :alt:", image.get("uri", ""),
                location=image if image.line else image.parent,
            )  # fmt: skip


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", _check_alt_text)
