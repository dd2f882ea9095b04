"""The HTML site: Sphinx's own HTML builder, with links to download the other editions.

The PDF and the EPUB are built first (``make all`` and ``triptych build`` order
them so); the site then copies them into ``_downloads/`` and every page links
to them. A site built on its own links whatever editions already exist next to it.
"""

from __future__ import annotations

import shutil
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.util import logging
from sphinx.util.fileutil import copy_asset_file
from sphinx.util.osutil import relative_uri

from triptych.builders import EditionSummary, asset_path, human_size
from triptych.documents import SITE_BUILDERS, publication_contents, publication_order

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sphinx.application import Sphinx
    from sphinx.builders import Builder

    from triptych.documents import ContentsEntry

logger = logging.getLogger(__name__)

DOWNLOADS_DIR = "_downloads"
HTML_CSS = "triptych.css"
ARTICLES_DIR = "articles"

#: Edition label, the folder it is built in beside ``html/``, its file suffix.
DOWNLOADABLE_EDITIONS = (("PDF", "pdf", ".pdf"), ("EPUB", "epub", ".epub"))


def editions_dir(builder: Builder) -> Path:
    """Where the PDF and the EPUB are: ``triptych_editions_dir``, or the site's parent folder."""
    configured = builder.config.triptych_editions_dir
    return Path(configured) if configured else Path(builder.outdir).parent


def built_editions(builder: Builder) -> list[tuple[str, Path]]:
    """The editions already built beside this site, as (label, path)."""
    slug = builder.config.triptych_slug
    siblings = editions_dir(builder)
    found = []
    for label, folder, suffix in DOWNLOADABLE_EDITIONS:
        path = siblings / folder / f"{slug}{suffix}"
        if path.is_file():
            found.append((label, path))
    return found


def article_pdf(builder: Builder, docname: str) -> Path | None:
    """The PDF of one article, built beside this site."""
    if not builder.config.triptych_article_pdfs:
        return None
    path = editions_dir(builder) / "pdf" / ARTICLES_DIR / f"{docname}.pdf"
    return path if path.is_file() else None


def _add_download_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Put a "download this publication" line at the top of every page of the site."""
    if app.builder.name not in SITE_BUILDERS or not app.config.triptych_download_links:
        return
    editions = built_editions(app.builder)
    if not editions:
        return
    page = app.builder.get_target_uri(docname)
    paragraph = nodes.paragraph()
    paragraph += nodes.Text("Download this publication: ")
    for index, (label, path) in enumerate(editions):
        if index:
            paragraph += nodes.Text(" · ")
        href = relative_uri(page, f"{DOWNLOADS_DIR}/{path.name}")
        size = human_size(path.stat().st_size)
        paragraph += nodes.reference("", f"{label} ({size})", refuri=href, internal=True)
    article = article_pdf(app.builder, docname)
    if article is not None:
        href = relative_uri(page, f"{DOWNLOADS_DIR}/{ARTICLES_DIR}/{docname}.pdf")
        size = human_size(article.stat().st_size)
        paragraph += nodes.Text(" · this article: ")
        paragraph += nodes.reference("", f"PDF ({size})", refuri=href, internal=True)
    doctree.insert(0, nodes.container("", paragraph, classes=["triptych-downloads"]))


def _finish_site(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None or app.builder.name not in SITE_BUILDERS:
        return
    target = Path(app.builder.outdir) / DOWNLOADS_DIR
    editions = built_editions(app.builder) if app.config.triptych_download_links else []
    if editions:
        target.mkdir(parents=True, exist_ok=True)
    for _label, path in editions:
        shutil.copyfile(path, target / path.name)
    articles = editions_dir(app.builder) / "pdf" / ARTICLES_DIR
    shutil.rmtree(target / ARTICLES_DIR, ignore_errors=True)
    if editions and articles.is_dir() and app.config.triptych_article_pdfs:
        shutil.copytree(articles, target / ARTICLES_DIR)
    summary = summarise(app.builder)
    logger.info(summary.line())


def _place_stylesheet(app: Sphinx) -> None:
    """Put triptych.css in place before any page is written, so every page links the same file."""
    if app.builder.name in SITE_BUILDERS:
        target = Path(app.builder.outdir) / "_static" / HTML_CSS
        target.parent.mkdir(parents=True, exist_ok=True)
        copy_asset_file(asset_path("html.css"), target, force=True)


#: The page a hosted site opens with: Sphinx writes the root document under its own name.
LANDING_PAGE = "index"


def _landing_page(app: Sphinx) -> Iterator[tuple[str, dict[str, Any], str]]:
    """An ``index.html`` with the contents when no document is called ``index``."""
    if app.builder.name not in SITE_BUILDERS or LANDING_PAGE in app.env.all_docs:
        return
    env = app.env
    order = publication_order(env)

    def item(entry: ContentsEntry) -> str:
        nested = "".join(
            item(child) for child in entry.children if child.is_part or not child.anchor
        )
        inner = f"<ul>{nested}</ul>" if nested else ""
        if entry.is_part:  # a part has no page: its caption heads its chapters
            return f"<li><span>{escape(entry.label)}</span>{inner}</li>"
        href = app.builder.get_relative_uri(LANDING_PAGE, entry.docname)
        anchor = "#" + escape(entry.anchor) if entry.anchor else ""
        return f'<li><a href="{escape(href)}{anchor}">{escape(entry.label)}</a>{inner}</li>'

    links = "".join(item(entry) for entry in publication_contents(env, order))
    title = str(app.config.project)
    body = f"<section><h1>{escape(title)}</h1><nav><ul>{links}</ul></nav></section>"
    yield LANDING_PAGE, {"title": title, "body": body}, "page.html"


def summarise(builder: Builder) -> EditionSummary:
    outdir = Path(builder.outdir)
    size = sum(path.stat().st_size for path in outdir.rglob("*") if path.is_file())
    return EditionSummary("html", outdir, size, len(builder.env.found_docs), "pages")


def setup(app: Sphinx) -> None:
    app.add_css_file(HTML_CSS)
    app.connect("doctree-resolved", _add_download_links)
    app.connect("builder-inited", _place_stylesheet)
    app.connect("build-finished", _finish_site)
    app.connect("html-collect-pages", _landing_page)
