"""The HTML site: Sphinx's own HTML builder, with links to download the other editions.

The PDF and the EPUB are built first (``make all`` and ``triptych build`` order
them so); the site then copies them into ``_downloads/`` and every page links
to them. A site built on its own links whatever editions already exist next to it.

Each page is valid HTML: the translator writes the attributes triptych sets on
nodes (:data:`~triptych.documents.HTML_ATTRIBUTES`) and the level of a heading
role, and an id that a wrapper copied from the element it wraps (Furo wraps
tables and equations) is left to the element itself. ``triptych.js`` shows the
term previews.
"""

from __future__ import annotations

import posixpath
import shutil
from collections import defaultdict
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.fileutil import copy_asset_file
from sphinx.util.osutil import relative_uri
from sphinx.writers.html5 import HTML5Translator

from triptych.builders import EditionSummary, asset_path, human_size, viewcode, written
from triptych.documents import (
    HTML_ATTRIBUTES,
    SITE_BUILDERS,
    publication_contents,
    publication_order,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sphinx.application import Sphinx
    from sphinx.builders import Builder

    from triptych.documents import ContentsEntry

logger = logging.getLogger(__name__)

DOWNLOADS_DIR = "_downloads"
HTML_CSS = "triptych.css"
HTML_JS = "triptych.js"
SEARCH_JS = "triptych-search.js"
ARTICLES_DIR = "articles"

#: Templates put before the theme's: every page's landmarks named (see page.html there).
TEMPLATES_DIR = Path(__file__).parents[1] / "templates"

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


def download_line_inputs(builder: Builder, docname: str) -> tuple[object, ...]:
    """What the download line of *docname*'s page shows of the other editions."""
    if builder.name not in SITE_BUILDERS or not builder.config.triptych_download_links:
        return ()
    editions = built_editions(builder)
    if not editions:
        return ()
    shown: list[object] = [
        (label, path.name, path.stat().st_size if docname == builder.config.root_doc else None)
        for label, path in editions
    ]
    article = article_pdf(builder, docname)
    if article is not None:
        shown.append(article.stat().st_size)
    return tuple(shown)


def _add_download_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Put a "download this publication" line at the top of every page of the site.

    The root's page gives the size of each book. The others name them only, so that
    a book that changed with one article leaves the other pages as they were.
    """
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
        text = label
        if docname == app.config.root_doc:
            text += f" ({human_size(path.stat().st_size)})"
        paragraph += nodes.reference("", text, refuri=href, internal=True)
    article = article_pdf(app.builder, docname)
    if article is not None:
        href = relative_uri(page, f"{DOWNLOADS_DIR}/{ARTICLES_DIR}/{docname}.pdf")
        size = human_size(article.stat().st_size)
        paragraph += nodes.Text(" · this article: ")
        paragraph += nodes.reference("", f"PDF ({size})", refuri=href, internal=True)
    # Out of the search index: the line is on every page, and no page's own text.
    classes = ["triptych-downloads", "no-search"]
    doctree.insert(0, nodes.container("", paragraph, classes=classes))


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


#: The publication's contents, written once for every page of a Furo site.
NAVIGATION_JS = "triptych-navigation.js"
#: Themes whose templates show the contents with Sphinx's ``toctree()`` and print what it
#: returns as it is (Sphinx's own themes and Alabaster, its default).
TOCTREE_THEMES = frozenset(
    {"alabaster", "basic", "classic", "nature", "sphinxdoc", "scrolls", "agogo", "traditional",
     "haiku", "pyramid", "bizstyle"}
)  # fmt: skip
#: The contents as a page's ``toctree()`` shows them, one file for each way a template asks
#: for them: ``triptych-contents-<digest>.js``, its first line the arguments asked with.
CONTENTS_JS_PREFIX = "triptych-contents-"
_CONTENTS_ARGUMENTS_LINE = "// triptych contents: "


def _theme_name(builder: Builder) -> str:
    return str(getattr(getattr(builder, "theme", None), "name", ""))


def shares_navigation(builder: Builder) -> bool:
    """Whether the site's pages load the contents from one file (Furo's sidebar, see
    templates/; or ``toctree()`` with the themes of :data:`TOCTREE_THEMES`)."""
    theme = _theme_name(builder)
    return builder.name in SITE_BUILDERS and (theme == "furo" or theme in TOCTREE_THEMES)


def _contents_script(builder: Builder, tree: str, **settings: object) -> bytes:
    """navigation.js with the contents *tree*, its links relative to the root's page."""
    import json

    base = posixpath.dirname(builder.get_target_uri(builder.config.root_doc))
    contents = {"base": base + "/" if base else "", "tree": tree, **settings}
    # Escaped so that no title can close the script.
    data = json.dumps(contents, sort_keys=True).replace("</", "<\\/")
    script = asset_path("navigation.js").read_text(encoding="utf-8")
    return script.replace("/* contents */ null", data).encode()


def _write_navigation(app: Sphinx, exception: BaseException | None) -> None:
    """The contents as Furo shows them, seen from the root: each page marks where it is."""
    if exception is not None or not shares_navigation(app.builder):
        return
    if _theme_name(app.builder) != "furo":
        _write_contents_scripts(app)
        return
    from furo.navigation import get_navigation_tree

    from triptych.builders import write_atomically

    builder = app.builder
    tree = builder._get_local_toctree(  # type: ignore[attr-defined]
        app.config.root_doc, collapse=False, titles_only=True, maxdepth=-1, includehidden=True
    )
    script = _contents_script(builder, get_navigation_tree(tree))
    write_atomically(Path(builder.outdir) / "_static" / NAVIGATION_JS, script)


def _toctree_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments of a template's ``toctree()`` call as Sphinx reads them."""
    settings = {"collapse": True, "includehidden": False, **arguments}
    if settings.get("maxdepth") == "":
        del settings["maxdepth"]
    return settings


def _shared_toctree(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: object
) -> None:
    """A page's ``toctree()`` loads the contents from one file rather than holding them.

    Every page holding the whole contents makes a site's writing grow with the square of
    its pages, and every page change with any title. The page notes the file, with the
    arguments it was asked with; the build writes it once every page is written.
    """
    if not shares_navigation(app.builder) or _theme_name(app.builder) == "furo":
        return
    import hashlib
    import json

    from triptych.builders import write_atomically

    static = Path(app.builder.outdir) / "_static"
    pathto = context["pathto"]
    root_link = escape(pathto(app.config.root_doc))
    label = escape(_("Contents"))

    def toctree(**arguments: Any) -> str:
        settings = json.dumps(_toctree_arguments(arguments), sort_keys=True, default=str)
        name = CONTENTS_JS_PREFIX + hashlib.sha256(settings.encode()).hexdigest()[:12] + ".js"
        if not (static / name).is_file():
            write_atomically(static / name, f"{_CONTENTS_ARGUMENTS_LINE}{settings}\n".encode())
        return (
            f'<script src="{escape(pathto("_static/" + name, 1))}"></script>'
            f'<noscript><ul><li class="toctree-l1"><a class="reference internal" '
            f'href="{root_link}">{label}</a></li></ul></noscript>'
        )

    context["toctree"] = toctree


def _write_contents_scripts(app: Sphinx) -> None:
    """Each contents file a page loads, written from the root's toctree: the page marks
    where it is and, as Sphinx's ``collapse`` would, hides the branches it is not in."""
    import json

    from triptych.builders import write_atomically

    builder = app.builder
    for path in sorted((Path(builder.outdir) / "_static").glob(f"{CONTENTS_JS_PREFIX}*.js")):
        first_line = path.read_text(encoding="utf-8").partition("\n")[0]
        if not first_line.startswith(_CONTENTS_ARGUMENTS_LINE):
            continue
        settings = json.loads(first_line.removeprefix(_CONTENTS_ARGUMENTS_LINE))
        # As Sphinx reads it: a theme option may be the string "false", which it takes as true.
        collapse = bool(settings.pop("collapse"))
        tree = builder._get_local_toctree(  # type: ignore[attr-defined]
            app.config.root_doc, collapse=False, **settings
        )
        script = _contents_script(builder, tree, collapse=collapse)
        write_atomically(path, f"{first_line}\n".encode() + script)


def _prepare_site(app: Sphinx) -> None:
    """Put triptych.css and triptych.js in place before any page is written; write attributes."""
    if app.builder.name not in SITE_BUILDERS:
        return
    static = Path(app.builder.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    copy_asset_file(asset_path("html.css"), static / HTML_CSS, force=True)
    copy_asset_file(asset_path("html.js"), static / HTML_JS, force=True)
    copy_asset_file(asset_path("search.js"), static / SEARCH_JS, force=True)
    app.add_js_file(HTML_JS, loading_method="defer")
    # Whatever translator the project or its theme chose, extended rather than replaced.
    base = app.registry.get_translator_class(app.builder)
    if not issubclass(base, AttributesTranslator):
        translator = type(f"Triptych{base.__name__}", (AttributesTranslator, base), {})
        app.set_translator(app.builder.name, translator, override=True)


#: Pages Sphinx generates, which a toctree or ``{ref}`` may name, by the name a link gives them.
GENERATED_PAGES = ("genindex", "py-modindex", "search")


def unwritten_pages(builder: Builder) -> set[str]:
    """The generated pages this site does not write, though a toctree or a ``{ref}`` may name them.

    Sphinx writes the Python module index only when some module is documented
    (and ``html_domain_indices`` asks for it), the general index with
    ``html_use_index``, the search page when the builder has a search.
    """
    written = {index[0] for index in getattr(builder, "domain_indices", [])}
    if getattr(builder, "use_index", False):
        written.add("genindex")
    if getattr(builder, "search", False):
        written.add("search")
    return {page for page in GENERATED_PAGES if page not in written}


def names_unwritten_page(builder: Builder, uri: str) -> str | None:
    """The generated page a link leads to, if this site does not write it."""
    path = uri.partition("#")[0]
    while path.startswith("../"):
        path = path[3:]
    if not path:
        return None
    return next(
        (page for page in unwritten_pages(builder) if path == builder.get_target_uri(page)), None
    )


def _unlink_unwritten_pages(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Links and toctree entries naming a generated page the site does not write become text.

    The module index is the usual one: projects name it in their index page's
    toctree or list, and it exists only where some module is documented.
    """
    if app.builder.name not in SITE_BUILDERS:
        return
    from sphinx import addnodes

    from triptych.diagnostics import Subtype, warn

    unwritten = unwritten_pages(app.builder)
    if not unwritten:
        return
    virtual = {"genindex": "genindex", "modindex": "py-modindex", "search": "search"}
    for toctree in doctree.findall(addnodes.toctree):
        kept = []
        for title, ref in toctree["entries"]:
            if virtual.get(ref) in unwritten:
                warn(
                    logger, Subtype.OUTSIDE_BOOK,
                    "the contents name %s, which the site does not have (%s): left out",
                    ref, _why_unwritten(virtual[ref]), location=toctree,
                )  # fmt: skip
                continue
            kept.append((title, ref))
        toctree["entries"] = kept
    for reference in list(doctree.findall(nodes.reference)):
        page = names_unwritten_page(app.builder, str(reference.get("refuri", "")))
        if page is not None and reference.get("internal", True):
            warn(
                logger, Subtype.OUTSIDE_BOOK,
                "a link to %s, which the site does not have (%s), is shown as text",
                page, _why_unwritten(page),
                location=reference if reference.source or reference.line else (docname, None),
            )  # fmt: skip
            reference.replace_self(nodes.inline("", "", *reference.children))


def _names_nothing(app: Sphinx, docname: str, uri: str) -> bool:
    """Whether a relative link an author wrote names no document and no file of the site."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(uri)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return False
    path = posixpath.normpath(posixpath.join(posixpath.dirname(docname), unquote(parts.path)))
    page = path.removesuffix(".html").removesuffix("/")
    if {page, posixpath.join(page, "index")} & app.env.found_docs:
        return False
    # The site holds what is copied into it, not the source folder's other files.
    candidates = [Path(app.outdir, path)]
    candidates += [Path(app.confdir, extra, path) for extra in app.config.html_extra_path]
    if path.startswith("_static/"):
        static = path.removeprefix("_static/")
        candidates += [Path(app.confdir, folder, static) for folder in app.config.html_static_path]
    return not any(candidate.exists() for candidate in candidates)


def _missing_images_as_text(app: Sphinx, doctree: nodes.document, _docname: str) -> None:
    """An image Sphinx found no file for is its text alternative on the site, as in the books.

    Sphinx warned at the article's line when it read it, and leaves its ``<img>`` pointing
    at a file the site does not hold: a broken image, on the one edition that showed it.
    """
    if app.builder.name not in SITE_BUILDERS:
        return
    for image in list(doctree.findall(nodes.image)):
        uri = str(image.get("uri", ""))
        candidates: dict[str, str] = image.get("candidates", {})
        if "?" in candidates or "://" in uri or uri.startswith("data:"):
            continue  # an image on the web, or written into the page
        if any(str(found) in app.env.images for found in [uri, *candidates.values()]):
            continue  # a file the site copies (one of several formats, for ``chart.*``)
        text = str(image.get("alt") or "")
        image.replace_self(nodes.inline(text, text, classes=["triptych-missing-image"]))


def _unlink_links_to_nothing(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """A relative link to nothing (reST's `` `text <Some name>`_ ``) is its text on the site.

    The books already show a link to a page they do not hold as its text.
    """
    if app.builder.name not in SITE_BUILDERS:
        return
    from triptych.diagnostics import Subtype, warn

    for reference in list(doctree.findall(nodes.reference)):
        uri = str(reference.get("refuri", ""))
        if reference.get("internal") or not uri or not _names_nothing(app, docname, uri):
            continue
        warn(
            logger, Subtype.UNKNOWN_SYNTAX,
            "a link to %s names no document or file: shown as text", uri,
            location=reference if reference.source or reference.line else (docname, None),
        )  # fmt: skip
        reference.replace_self(nodes.inline("", "", *reference.children))


def _why_unwritten(page: str) -> str:
    return {
        "py-modindex": "no Python module is documented",
        "genindex": "html_use_index is off",
        "search": "this site has no search",
    }[page]


class AttributesTranslator(HTML5Translator):
    """Put before the site's translator: start tags carry the node's HTML attributes.

    An element given the role ``heading`` (Sphinx's toctree captions) also gets the
    ``aria-level`` that role requires: one below the section it is in, and never 1,
    which the page's title holds.

    A link to a generated page the site does not write (the module index of a
    project without modules, named by its index page's toctree, which the
    theme's navigation shows on every page) is written as its text.
    """

    def visit_reference(self, node: nodes.Element) -> None:
        if "refuri" in node and names_unwritten_page(self.builder, str(node["refuri"])):
            self.body.append(self.starttag(node, "span", ""))
            return
        super().visit_reference(node)

    def depart_reference(self, node: nodes.reference) -> None:
        if "refuri" in node and names_unwritten_page(self.builder, str(node["refuri"])):
            self.body.append("</span>")
            return
        super().depart_reference(node)

    def starttag(
        self, node: nodes.Element, tagname: str, suffix: str = "\n", empty: bool = False,
        **attributes: Any,
    ) -> str:  # fmt: skip
        extra = node.get(HTML_ATTRIBUTES) if isinstance(node, nodes.Element) else None
        if extra:
            attributes = {**extra, **attributes}
        names = {name.lower(): name for name in attributes}
        role = attributes.get(names.get("role", ""))
        if role == "heading" and "aria-level" not in names:
            attributes["aria-level"] = str(max(2, self.section_level + 1))
        elif role == "doc-biblioentry":
            # Deprecated in DPUB-ARIA 1.1, and no item of the list docutils puts it in.
            attributes[names["role"]] = "listitem"
        return super().starttag(node, tagname, suffix, empty, **attributes)


def _add_templates(app: Sphinx, config: Any) -> None:
    config.templates_path = [*config.templates_path, str(TEMPLATES_DIR)]


#: Furo's wrappers, which scroll sideways what is wider than a phone's screen.
SCROLLING_WRAPPERS = {"table-wrapper": "Table", "math-wrapper": "Equation"}


def _scrolling_regions(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """A wrapper that scrolls is a region a keyboard can reach and scroll, named by its caption."""
    if app.builder.name not in SITE_BUILDERS:
        return
    for container in doctree.findall(nodes.container):
        kind = next(
            (SCROLLING_WRAPPERS[c] for c in container["classes"] if c in SCROLLING_WRAPPERS), None
        )
        if kind is None:
            continue
        caption = next(iter(container.findall(nodes.title)), None)
        label = caption.astext() if caption is not None else _(kind)
        container[HTML_ATTRIBUTES] = {
            **container.get(HTML_ATTRIBUTES, {}),
            "role": "region",
            "tabindex": "0",
            "aria-label": label,
        }


def _search_page_script(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """The search page lists each page once (``triptych-search.js``), after Sphinx's search."""
    if app.builder.name in SITE_BUILDERS and templatename == "search.html":
        app.add_js_file(SEARCH_JS, loading_method="defer")


def _unique_ids(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """An id carried by an element and by one inside it stays with the inner one only.

    Furo wraps every table and equation in a container that copies its ids, so
    the HTML would hold each label twice; links to the label reach the same
    place, and the table or equation keeps its own permalink. Runs after every
    post-transform, whatever its priority.

    A section is no wrapper: it keeps its ids whatever holds the same one (an
    extension's node labelled as the heading reads, ``top-shares`` under "Top
    shares"), since Sphinx writes a heading's number and permalink from the first.
    """
    if app.builder.name not in SITE_BUILDERS:
        return
    carriers: defaultdict[str, list[nodes.Element]] = defaultdict(list)
    for element in doctree.findall(nodes.Element):
        for element_id in element["ids"]:
            carriers[element_id].append(element)
    for element_id, elements in carriers.items():
        for outer in elements[:-1]:
            if isinstance(outer, nodes.section):
                continue
            if any(_is_inside(inner, outer) for inner in elements if inner is not outer):
                outer["ids"].remove(element_id)


def _is_inside(node: nodes.Node, ancestor: nodes.Element) -> bool:
    parent = node.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


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
    app.connect("doctree-resolved", _unlink_unwritten_pages)
    app.connect("doctree-resolved", _unlink_links_to_nothing)
    app.connect("doctree-resolved", _missing_images_as_text)
    app.connect("doctree-resolved", _unique_ids, priority=900)
    app.connect("doctree-resolved", _scrolling_regions)
    app.connect("config-inited", _add_templates)
    app.connect("builder-inited", _prepare_site)
    app.connect("build-finished", _finish_site)
    app.connect("build-finished", _write_navigation)
    app.connect("html-collect-pages", _landing_page)
    app.connect("html-page-context", _search_page_script)
    app.connect("html-page-context", _shared_toctree)
    app.connect("html-page-context", viewcode.settle_backlinks)
    app.add_post_transform(viewcode.SourceLinksLeftOutOfBooks)
    written.setup(app)
