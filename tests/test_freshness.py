"""A save that lands while Sphinx reads the document is in the next build."""

from __future__ import annotations

import os
import shutil
from io import StringIO
from typing import TYPE_CHECKING

from sphinx.testing.util import SphinxTestApp

from conftest import ROOTS

if TYPE_CHECKING:
    from pathlib import Path


def build_site(srcdir: Path) -> SphinxTestApp:
    app = SphinxTestApp("html", srcdir=srcdir, status=StringIO(), warning=StringIO())
    try:
        app.build()
    finally:
        app.cleanup()
    return app


def test_a_save_during_the_reading_is_read_next_time(tmp_path: Path) -> None:
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-basic", srcdir)
    app = build_site(srcdir)
    article = srcdir / "second.md"
    read_at_us = app.env.all_docs["second"]
    # The save Sphinx missed: new words, a modification time after the file was read but
    # before Sphinx noted the reading (the end of the parse).
    article.write_text(article.read_text() + "\nWords saved while the page was read.\n")
    saved_at_ns = (read_at_us - 1) * 1000
    os.utime(article, ns=(saved_at_ns, saved_at_ns))
    app = build_site(srcdir)
    page = (app.outdir / "second.html").read_text(encoding="utf-8")
    assert "Words saved while the page was read." in page
    # Read once: a third build reads nothing again.
    app = build_site(srcdir)
    assert "0 changed" in app.status.getvalue()
