"""triptych: one folder of MyST articles, three editions (HTML site, PDF, EPUB 3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

#: The one place the version is written; the package metadata and ``--version`` read it.
__version__ = "0.2.0"

#: Bumped whenever triptych changes what it stores in the Sphinx environment.
ENV_VERSION = 4


def setup(app: Sphinx) -> ExtensionMetadata:
    from triptych import (
        apparatus,
        config,
        constructs,
        diagnostics,
        documents,
        freshness,
        glossary,
        parallel,
        problems,
        projects,
        safety,
    )
    from triptych import math as triptych_math
    from triptych.builders import html
    from triptych.builders.ebook import EbookBuilder
    from triptych.builders.pdf import PdfBuilder, note_parallel_jobs, notes
    from triptych.builders.pdf.assembly import DownloadsAsText
    from triptych.builders.pdf.typography import KeepShortBlocksWhole, ProtectNames
    from triptych.checks import accessibility

    app.setup_extension("myst_parser")
    config.setup(app)
    diagnostics.setup(app)
    documents.setup(app)
    freshness.setup(app)
    glossary.setup(app)
    projects.setup(app)
    apparatus.setup(app)
    accessibility.setup(app)
    safety.setup(app)
    problems.setup(app)
    parallel.setup(app)
    triptych_math.setup(app)
    constructs.setup(app)
    html.setup(app)
    app.add_builder(PdfBuilder)
    app.connect("builder-inited", note_parallel_jobs)
    app.add_post_transform(DownloadsAsText)
    app.add_post_transform(ProtectNames)
    app.add_post_transform(KeepShortBlocksWhole)
    notes.setup(app)
    app.add_builder(EbookBuilder)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
