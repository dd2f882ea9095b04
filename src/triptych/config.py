"""triptych's configuration options, their types and defaults.

Every option is a ``triptych_*`` value in ``conf.py``. Defaults that depend on
other settings are functions of the config, so nothing here writes to
``app.config`` (which would force full rebuilds and clobber user settings).
"""

from __future__ import annotations

import ast
import datetime as dt
import logging as stdlib_logging
import math
import os
import re
import unicodedata
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from sphinx.errors import ConfigError

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

PAPER_SIZES = frozenset({"A4", "Letter"})
#: What Sphinx calls an author nobody named.
UNNAMED_AUTHOR = "Author name not set"
#: Largest value of a ``triptych_max_*`` limit (seconds or MB): far above any real build.
LIMIT_CEILING = 1e7
#: WeasyPrint's PDF variants (weasyprint.pdf.VARIANTS), and "" for none.
PDF_VARIANTS = frozenset({
    "", "pdf/a-1a", "pdf/a-1b", "pdf/a-2a", "pdf/a-2b", "pdf/a-2u", "pdf/a-3a", "pdf/a-3b",
    "pdf/a-3u", "pdf/a-4e", "pdf/a-4f", "pdf/a-4u", "pdf/ua-1", "pdf/ua-2", "pdf/x-1a",
    "pdf/x-3", "pdf/x-4", "pdf/x-5g",
})  # fmt: skip


def slugify(text: str) -> str:
    """ASCII, lowercase, hyphen-separated: safe as a file name on every system."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "publication"


def _default_authors(config: Config) -> list[str]:
    if not config.author or config.author == UNNAMED_AUTHOR:
        return []
    return [name.strip() for name in re.split(r",| and ", config.author) if name.strip()]


def build_date() -> dt.datetime:
    """The moment the editions claim to be from: ``SOURCE_DATE_EPOCH`` when set, else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0)


def publication_identifier(config: Config) -> str:
    """A stable identifier derived from the configuration unless one is set."""
    if config.triptych_identifier:
        return str(config.triptych_identifier)
    seed = "\n".join([config.project, *config.triptych_authors, config.triptych_edition])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'triptych:' + seed)}"


Rebuild = Literal["", "env", "html"]

OPTIONS: tuple[tuple[str, Any, Rebuild, frozenset[type]], ...] = (
    # name, default, rebuild, types
    ("triptych_subtitle", "", "env", frozenset({str})),
    ("triptych_authors", _default_authors, "env", frozenset({list, tuple})),
    ("triptych_date", "", "env", frozenset({str})),
    ("triptych_edition", lambda c: c.release or "", "env", frozenset({str})),
    ("triptych_slug", lambda c: slugify(c.project), "", frozenset({str})),
    ("triptych_identifier", "", "", frozenset({str})),
    ("triptych_paper_size", "A4", "", frozenset({str})),
    ("triptych_chapter_start", "page", "", frozenset({str})),
    ("triptych_pdf_variant", "pdf/ua-1", "", frozenset({str})),
    ("triptych_pdf_part_pages", 20, "", frozenset({int})),
    ("triptych_article_pdfs", True, "", frozenset({bool})),
    ("triptych_download_links", True, "html", frozenset({bool})),
    ("triptych_editions_dir", "", "", frozenset({str})),
    ("triptych_auto_toctree", False, "env", frozenset({bool})),
    ("triptych_front_matter", True, "", frozenset({bool})),
    ("triptych_autolink_terms", True, "env", frozenset({bool})),
    ("triptych_publisher", "", "", frozenset({str})),
    ("triptych_rights", lambda c: f"© {c.copyright}" if c.copyright else "", "", frozenset({str})),
    ("triptych_subjects", [], "", frozenset({list, tuple})),
    ("triptych_description", lambda c: c.triptych_subtitle, "", frozenset({str})),
    ("triptych_epub_cover", "", "", frozenset({str})),
    ("triptych_page_reference", " (p. {page})", "", frozenset({str})),
    # What content may do; see triptych.safety. Hosts content may fetch from (none by default).
    ("triptych_allowed_hosts", [], "env", frozenset({list, tuple})),
    # The folder content may read from; "" for the repository the source lives in.
    ("triptych_project_root", "", "env", frozenset({str})),
    ("triptych_sanitise_html", True, "env", frozenset({bool})),
    ("triptych_max_article_mb", 8, "env", frozenset({int, float})),
    ("triptych_max_build_seconds", 1800, "", frozenset({int, float})),
    ("triptych_max_memory_mb", 6144, "", frozenset({int, float})),
    # Read again the documents that had problems in the last build (triptych build reads
    # them once per run, with its first edition).
    ("triptych_reread_troubled", True, "", frozenset({bool})),
    # How the PDF and the EPUB set an article's text and code.
    ("triptych_hyphenate", True, "", frozenset({bool})),
    ("triptych_print_code_style", "default", "", frozenset({str})),
)


def display_date(config: Config) -> str:
    if config.triptych_date:
        return str(config.triptych_date)
    return build_date().strftime("%d %B %Y").lstrip("0")


class TriptychConfigError(ConfigError):
    """A configuration value triptych cannot use; *location* is its line in ``conf.py``."""

    def __init__(self, message: str, location: str = "") -> None:
        super().__init__(message)
        self.location = location


def conf_assignments(confdir: str | Path | None) -> list[tuple[str, int]]:
    """(name, line) of every top-level assignment in ``conf.py``, in order."""
    if not confdir or not (conf := Path(confdir) / "conf.py").is_file():
        return []
    try:
        tree = ast.parse(conf.read_bytes())
    except SyntaxError:
        return []
    return [
        (target.id, statement.lineno)
        for statement in tree.body
        if isinstance(statement, ast.Assign | ast.AnnAssign)
        for target in (
            statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        )
        if isinstance(target, ast.Name)
    ]


def config_location(confdir: str | Path | None, name: str) -> str:
    """``conf.py:LINE`` of the last top-level assignment to *name*, or "" if there is none."""
    lines = [line for assigned, line in conf_assignments(confdir) if assigned == name]
    return f"{Path(str(confdir)) / 'conf.py'}:{lines[-1]}" if lines else ""


def string_location(confdir: str | Path | None, text: str) -> str:
    """``conf.py:LINE`` of the first string literal *text* (an extension's name), or ""."""
    if not confdir or not (conf := Path(confdir) / "conf.py").is_file():
        return ""
    try:
        tree = ast.parse(conf.read_bytes())
    except SyntaxError:
        return ""
    lines = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value == text
    ]
    return f"{conf}:{min(lines)}" if lines else ""


#: The prefix of this extension's options before it was named triptych.
FORMER_PREFIX = "quire_"


def _check_values(app: Sphinx, config: Config) -> None:
    def fail(name: str, message: str) -> NoReturn:
        raise TriptychConfigError(message, location=config_location(app.confdir, name))

    for former in dict.fromkeys(
        name for name, _line in conf_assignments(app.confdir) if name.startswith(FORMER_PREFIX)
    ):
        renamed = "triptych_" + former.removeprefix(FORMER_PREFIX)
        fail(former, f"{former} is now called {renamed}: rename it in conf.py")

    for name, _default, _rebuild, types in OPTIONS:
        value = getattr(config, name)
        if not isinstance(value, tuple(types)) or isinstance(value, bool) is not (bool in types):
            expected = " or ".join(sorted(kind.__name__ for kind in types))
            fail(name, f"{name} = {value!r}: expected {expected}, not {type(value).__name__}")
    if config.triptych_paper_size not in PAPER_SIZES:
        fail(
            "triptych_paper_size",
            f"triptych_paper_size = {config.triptych_paper_size!r}: "
            f"choose one of {', '.join(sorted(PAPER_SIZES))}",
        )
    if isinstance(config.triptych_pdf_part_pages, bool) or config.triptych_pdf_part_pages < 1:
        fail(
            "triptych_pdf_part_pages",
            f"triptych_pdf_part_pages = {config.triptych_pdf_part_pages!r}: "
            "give a number of pages, 1 or more",
        )
    if config.triptych_chapter_start not in {"page", "right"}:
        fail(
            "triptych_chapter_start",
            f"triptych_chapter_start = {config.triptych_chapter_start!r}: choose 'page' or 'right'",
        )
    if config.triptych_pdf_variant not in PDF_VARIANTS:
        fail(
            "triptych_pdf_variant",
            f"triptych_pdf_variant = {config.triptych_pdf_variant!r}: choose one of "
            f"{', '.join(sorted(PDF_VARIANTS - {''}))} or '' for an untagged PDF",
        )
    for name in ("triptych_max_article_mb", "triptych_max_build_seconds", "triptych_max_memory_mb"):
        value = getattr(config, name)
        if not (math.isfinite(value) and 0 < value <= LIMIT_CEILING):
            fail(
                name, f"{name} = {value!r}: expected a number above 0 and at most {LIMIT_CEILING:g}"
            )
    for name in ("triptych_authors", "triptych_subjects", "triptych_allowed_hosts"):
        if not all(isinstance(item, str) for item in getattr(config, name)):
            fail(name, f"{name} must be a list of strings")
    theme = config.html_theme
    if isinstance(theme, str) and theme not in installed_themes(app, config):
        fail(
            "html_theme",
            f"html_theme = {theme!r}: no such theme is installed (pip install the package "
            "that provides it, or choose another)",
        )


def installed_themes(app: Sphinx, config: Config) -> set[str]:
    """The names of the HTML themes the site could use, found as Sphinx looks for them.

    Sphinx's own, those extensions registered, those in ``html_theme_path`` and
    those installed packages declare (the ``sphinx.html_themes`` entry point),
    without loading any: the site's build loads the one it uses.
    """
    from importlib.metadata import entry_points

    from sphinx import package_dir

    def themes_in(folder: Path) -> set[str]:
        if not folder.is_dir():
            return set()
        return {
            path.stem if path.suffix == ".zip" else path.name
            for path in folder.iterdir()
            if path.suffix == ".zip"
            or (path / "theme.toml").is_file()
            or (path / "theme.conf").is_file()
        }

    names = set(app.registry.html_themes) | themes_in(Path(package_dir, "themes"))
    for folder in getattr(config, "html_theme_path", None) or []:
        names |= themes_in(Path(str(app.confdir), folder))
    names |= {entry.name for entry in entry_points(group="sphinx.html_themes")}
    return names


#: How Sphinx names a configuration value in its messages.
CONFIG_VALUE_NAMED = re.compile(r"config value `(?P<name>\w+)'")


class _ConfigWarningLocator(stdlib_logging.Filter):
    """Gives Sphinx's type warnings about ``conf.py`` values the line they come from."""

    def __init__(self, confdir: str | Path | None) -> None:
        super().__init__()
        self.confdir = confdir

    def filter(self, record: stdlib_logging.LogRecord) -> bool:
        match = CONFIG_VALUE_NAMED.search(str(record.msg))
        if match and not getattr(record, "location", None):
            record.location = config_location(self.confdir, match["name"]) or None
        return True


#: The logger Sphinx checks configuration types with ("sphinx." + the module's name).
SPHINX_CONFIG_LOGGER = "sphinx.sphinx.config"


def setup(app: Sphinx) -> None:
    for name, default, rebuild, types in OPTIONS:
        app.add_config_value(name, default, rebuild, types=types)
    locator = _ConfigWarningLocator(app.confdir)
    config_logger = stdlib_logging.getLogger(SPHINX_CONFIG_LOGGER)
    config_logger.addFilter(locator)

    def check_values(app: Sphinx, config: Config) -> None:
        try:
            _check_values(app, config)
        except BaseException:
            config_logger.removeFilter(locator)
            raise

    app.connect("config-inited", check_values)
    # Sphinx checks the types at priority 800; this application's locator is done after.
    app.connect("config-inited", lambda _app, _config: config_logger.removeFilter(locator), 900)


#: MyST extensions on for a folder without ``conf.py``: math and the syntax documentation uses.
ZERO_CONFIG_MYST_EXTENSIONS = [
    "amsmath", "attrs_block", "attrs_inline", "colon_fence", "deflist", "dollarmath",
    "fieldlist", "tasklist",
]  # fmt: skip
FRONT_MATTER_TITLE = re.compile(r"^title:\s*(?P<title>.+?)\s*$", re.MULTILINE)
HEADING = re.compile(r"^#\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)


def first_heading(article: Path) -> str:
    """The title an article gives itself: its front matter's ``title``, or its first heading."""
    try:
        text = article.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return ""
    if text.startswith("---\n") and (end := text.find("\n---", 4)) > 0:
        if found := FRONT_MATTER_TITLE.search(text[4:end]):
            return found["title"].strip("'\"")
        text = text[end + 4 :]
    found = HEADING.search(text)
    return found["title"] if found else ""


def default_overrides(source: Path) -> dict[str, Any]:
    """Settings for a folder of articles that has no ``conf.py`` of its own."""
    from triptych.projects import declared_overrides

    found = sorted(path.stem for path in source.glob("*.md"))
    # A README is the folder's description for a repository's visitors; it is the root
    # only when it is all there is.
    articles = [stem for stem in found if stem.lower() != "readme"] or found
    has_index = "index" in articles
    root = "index" if has_index or not articles else articles[0]
    folder_name = source.name.replace("-", " ").replace("_", " ").strip().capitalize()
    title = (first_heading(source / "index.md") if has_index else "") or folder_name
    folder = {
        "extensions": ["triptych"],
        "project": title or "Publication",
        "author": "",
        "root_doc": root,
        "numfig": True,
        "html_theme": "furo",
        "html_title": title or "Publication",
        # Nobody is known to hold a copyright: no "Copyright ©" line.
        "html_show_copyright": False,
        "triptych_auto_toctree": True,
        "triptych_front_matter": has_index,
        "myst_enable_extensions": ZERO_CONFIG_MYST_EXTENSIONS,
        "exclude_patterns": [
            *(f"{stem}.md" for stem in found if stem not in articles),
            "_build",
            "build",
            ".*",
        ],
    }
    # A Jupyter Book or mystmd project declares its title, authors and contents in its own files.
    return declared_overrides(source, folder)
