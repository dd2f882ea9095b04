"""triptych: one folder of MyST articles, three editions (HTML site, PDF, EPUB 3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from triptych import (
    accessibility,
    config,
    confinement,
    diagnostics,
    documents,
    glossary,
    problems,
    sanitise,
    sources,
)
from triptych.builders import html
from triptych.builders.ebook import EbookBuilder
from triptych.builders.pdf import DownloadsAsText, PdfBuilder
from triptych.markdown import TriptychMystParser

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

__version__ = "0.1.0"

#: Bumped whenever triptych changes what it stores in the Sphinx environment.
ENV_VERSION = 1


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("myst_parser")
    app.add_source_parser(TriptychMystParser, override=True)
    config.setup(app)
    diagnostics.setup()
    documents.setup(app)
    glossary.setup(app)
    accessibility.setup(app)
    sources.setup(app)
    confinement.setup(app)
    sanitise.setup(app)
    problems.setup(app)
    html.setup(app)
    app.add_builder(PdfBuilder)
    app.add_post_transform(DownloadsAsText)
    app.add_builder(EbookBuilder)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
