"""The editions: each builder turns the shared environment into one output."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.util import logging

# Kept here too: the builders' shared helpers, named where they always were.
from triptych.editions import EditionSummary as EditionSummary
from triptych.editions import human_size as human_size
from triptych.editions import write_atomically as write_atomically

if TYPE_CHECKING:
    from collections.abc import Callable

    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.highlighting import PygmentsBridge
    from sphinx.theming import Theme


def asset_path(name: str) -> Path:
    """A stylesheet or template shipped inside the package."""
    return Path(str(resources.files("triptych").joinpath("assets", name)))


def asset_text(name: str) -> str:
    return asset_path(name).read_text(encoding="utf-8")


def copy_images(builder: StandaloneHTMLBuilder, folder: Path) -> None:
    """Copy the images the documents use into *folder*, as Sphinx copies them for the site."""
    from sphinx.util.display import status_iterator
    from sphinx.util.osutil import copyfile

    if not builder.images:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for source in status_iterator(
        builder.images, "copying images... ", "brown", len(builder.images),
        builder.config.verbosity,
    ):  # fmt: skip
        try:
            copyfile(Path(builder.srcdir, source), folder / builder.images[source], force=True)
        except OSError as error:
            logging.getLogger(__name__).warning(
                "cannot copy image file %s: %s", Path(builder.srcdir, source), error
            )


def replace_missing_images(builder: StandaloneHTMLBuilder, doctree: nodes.Node) -> None:
    """Images Sphinx found no file for become their text alternative in a book edition.

    Sphinx has warned, at the article's line, when it read them; the PDF and the
    EPUB would otherwise fail, or carry a broken image, naming a staging path.
    """
    from docutils import nodes

    for image in list(doctree.findall(nodes.image)):
        uri = str(image.get("uri", ""))
        if uri in builder.images or uri.startswith("data:"):
            continue
        text = str(image.get("alt") or "")
        image.replace_self(nodes.inline(text, text, classes=["triptych-missing-image"]))


class BookEditionBuilder(StandaloneHTMLBuilder):
    """What the PDF and the EPUB builders share, on Sphinx's HTML builders.

    They carry their own stylesheet, not the site's theme; copy the images the
    documents use into their staging folder (``self.staging_dir``); print the
    code in ``triptych_print_code_style``; always render math as triptych does;
    and give an image Sphinx found no file for, or an image in raw HTML, as
    its text alternative.
    """

    staging_dir: Path
    #: The site's theme, loaded though never written with, for what its extension registers.
    site_theme: Theme | None = None

    def get_theme_config(self) -> tuple[str, dict[str, Any]]:
        return "basic", {}

    def init_templates(self) -> None:
        super().init_templates()
        self.site_theme = load_site_theme(self)

    def cleanup(self) -> None:
        super().cleanup()
        if self.site_theme is not None:
            # What Sphinx does for its own theme: a zipped theme's extracted copy goes.
            self.site_theme._cleanup()

    def init_highlighter(self) -> None:
        self.highlighter = print_highlighter(self.config, self.confdir)
        self.dark_highlighter = None

    @property
    def math_renderer_name(self) -> str:
        from triptych.math import RENDERER

        # The site may choose another renderer; a book edition cannot run one in a reader.
        return RENDERER

    def copy_assets(self) -> None:
        # The theme's scripts and stylesheets are for the site; a book edition carries its own.
        pass

    def copy_image_files(self) -> None:
        copy_images(self, self.staging_dir / self.imagedir)

    def post_process_images(self, doctree: nodes.Node) -> None:
        super().post_process_images(doctree)
        replace_missing_images(self, doctree)
        raw_images_as_text(doctree)


def load_site_theme(builder: StandaloneHTMLBuilder) -> Theme | None:
    """Load ``html_theme`` as the site's builder would, though this builder writes with another.

    A theme installed as a package is also an extension (the ``sphinx.html_themes``
    entry point), which Sphinx sets up only when an HTML builder creates the theme it
    writes with. Its directives, roles and transforms then exist only for the site:
    an edition that reads first, without them, leaves the others an environment where
    the theme's ``{margin}`` was an unknown directive. Loading it here, as the site's
    builder does and at the same moment (before ``builder-inited``), every edition
    reads the same sources into the same environment.

    What the theme does while writing the site is taken back: its post-transforms
    (Furo wraps every table for a narrow screen) and its handlers of the site's own
    events, written for a builder that writes with the theme (its options, its
    static files), which a book edition is not.
    """
    from sphinx.theming import HTMLThemeFactory

    theme = builder.config.html_theme
    if not isinstance(theme, str) or not theme:
        return None
    # The arguments Sphinx's HTML builder creates its own theme factory with.
    app = builder._app
    factory = HTMLThemeFactory(
        confdir=Path(builder.confdir), app=app, config=builder.config, registry=builder._registry
    )
    listening = _listener_ids(app)
    post_transforms = list(app.registry.post_transforms)
    loaded = factory.create(theme)
    for event, listeners in app.events.listeners.items():
        if event in SITE_WRITING_EVENTS:
            for listener in list(listeners):
                if listener.id not in listening:
                    app.disconnect(listener.id)
    app.registry.post_transforms[:] = post_transforms
    return loaded


#: Events about writing the site with its theme. A theme's handlers of the others (reading,
#: resolving references) shape every edition alike and stay connected.
SITE_WRITING_EVENTS = frozenset({
    "builder-inited", "write-started", "html-collect-pages", "html-page-context",
    "build-finished",
})  # fmt: skip


def _listener_ids(app: Sphinx) -> set[int]:
    return {listener.id for listeners in app.events.listeners.values() for listener in listeners}


def print_highlighter(config: Config, confdir: str | Path | None) -> PygmentsBridge:
    """The Pygments highlighter of the PDF and the EPUB: ``triptych_print_code_style``.

    The site keeps its theme's style (often one made for a dark screen); print
    and e-readers get a style meant for a white page.
    """
    from pygments.styles import get_style_by_name
    from pygments.util import ClassNotFound
    from sphinx.highlighting import PygmentsBridge

    from triptych.config import TriptychConfigError, config_location

    style = config.triptych_print_code_style
    try:
        get_style_by_name(style)
    except ClassNotFound:
        msg = f"triptych_print_code_style = {style!r} is not a Pygments style"
        raise TriptychConfigError(
            msg, location=config_location(confdir, "triptych_print_code_style")
        ) from None
    return PygmentsBridge("html", style)


#: An ``<img>`` tag in raw HTML, and its ``alt`` attribute.
RAW_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
RAW_ALT = re.compile(r"""\balt\s*=\s*(["'])(?P<alt>.*?)\1""", re.IGNORECASE | re.DOTALL)


def raw_images_as_text(doctree: nodes.Node) -> None:
    """``<img>`` in raw HTML becomes its text alternative in a book edition.

    Sphinx neither copies nor packs the files raw HTML names, so the PDF could
    not load them and the EPUB would lack them; a Markdown image reaches both.
    """
    from docutils import nodes

    from triptych.diagnostics import Subtype, warn

    for raw in doctree.findall(nodes.raw):
        markup = raw.astext()
        if "html" not in raw.get("format", "").split() or not RAW_IMAGE.search(markup):
            continue

        def alternative(tag: re.Match[str]) -> str:
            found = RAW_ALT.search(tag.group())
            return found["alt"] if found else ""

        warn(
            logging.getLogger(__name__), Subtype.RAW_IMAGE,
            "an image in raw HTML is shown as its text alternative in the PDF and the EPUB; "
            "write it as ![alt](file) to include it", location=raw,
        )  # fmt: skip
        raw[:] = [nodes.Text(RAW_IMAGE.sub(alternative, markup))]


def unlink_outside(
    doctree: nodes.Node,
    keeps: Callable[[str], bool],
    docname: str,
    authored: Callable[[str], str] = str,
) -> None:
    """Links to what a book does not hold (a page outside it) become their text.

    A reference a transform made has no line of its own: its document stands in. The link
    is named as *authored* gives it back, in the author's terms, and the same in both
    books, so that the problem is shown once.
    """
    from docutils import nodes

    from triptych.diagnostics import Subtype, warn

    for problematic in doctree.findall(nodes.problematic):
        # Its target is the system message docutils reported, which no edition prints.
        if problematic.get("refid") and not keeps("#" + problematic["refid"]):
            del problematic["refid"]
    for reference in list(doctree.findall(nodes.reference)):
        uri = str(reference.get("refuri", ""))
        if not uri or "://" in uri or uri.startswith(("mailto:", "data:")) or keeps(uri):
            continue
        warn(
            logging.getLogger(__name__), Subtype.OUTSIDE_BOOK,
            "a link to %s, which the book does not hold, is shown as text", authored(uri),
            location=reference if reference.source or reference.line else (docname, None),
        )  # fmt: skip
        reference.replace_self(nodes.inline("", "", *reference.children))
