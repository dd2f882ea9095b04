"""quire's configuration options, their types and defaults.

Every option is a ``quire_*`` value in ``conf.py``. Defaults that depend on
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
#: Largest value of a ``quire_max_*`` limit (seconds or MB): far above any real build.
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
    return [name.strip() for name in re.split(r",| and ", config.author or "") if name.strip()]


def build_date() -> dt.datetime:
    """The moment the editions claim to be from: ``SOURCE_DATE_EPOCH`` when set, else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0)


def publication_identifier(config: Config) -> str:
    """A stable identifier derived from the configuration unless one is set."""
    if config.quire_identifier:
        return str(config.quire_identifier)
    seed = "\n".join([config.project, *config.quire_authors, config.quire_edition])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'quire:' + seed)}"


Rebuild = Literal["", "env", "html"]

OPTIONS: tuple[tuple[str, Any, Rebuild, frozenset[type]], ...] = (
    # name, default, rebuild, types
    ("quire_subtitle", "", "env", frozenset({str})),
    ("quire_authors", _default_authors, "env", frozenset({list, tuple})),
    ("quire_date", "", "env", frozenset({str})),
    ("quire_edition", lambda c: c.release or "", "env", frozenset({str})),
    ("quire_slug", lambda c: slugify(c.project), "", frozenset({str})),
    ("quire_identifier", "", "", frozenset({str})),
    ("quire_paper_size", "A4", "", frozenset({str})),
    ("quire_chapter_start", "page", "", frozenset({str})),
    ("quire_pdf_variant", "pdf/ua-1", "", frozenset({str})),
    ("quire_article_pdfs", True, "", frozenset({bool})),
    ("quire_download_links", True, "html", frozenset({bool})),
    ("quire_editions_dir", "", "", frozenset({str})),
    ("quire_auto_toctree", False, "env", frozenset({bool})),
    ("quire_front_matter", True, "", frozenset({bool})),
    ("quire_autolink_terms", True, "env", frozenset({bool})),
    ("quire_publisher", "", "", frozenset({str})),
    ("quire_rights", lambda c: f"© {c.copyright}" if c.copyright else "", "", frozenset({str})),
    ("quire_subjects", [], "", frozenset({list, tuple})),
    ("quire_description", lambda c: c.quire_subtitle, "", frozenset({str})),
    ("quire_epub_cover", "", "", frozenset({str})),
    ("quire_page_reference", " (p. {page})", "", frozenset({str})),
    # What content may do; see quire.safety. Hosts content may fetch from (none by default).
    ("quire_allowed_hosts", [], "env", frozenset({list, tuple})),
    ("quire_sanitise_html", True, "env", frozenset({bool})),
    ("quire_max_article_mb", 8, "env", frozenset({int, float})),
    ("quire_max_build_seconds", 1800, "", frozenset({int, float})),
    ("quire_max_memory_mb", 6144, "", frozenset({int, float})),
)


def display_date(config: Config) -> str:
    if config.quire_date:
        return str(config.quire_date)
    return build_date().strftime("%d %B %Y").lstrip("0")


class QuireConfigError(ConfigError):
    """A configuration value quire cannot use; *location* is its line in ``conf.py``."""

    def __init__(self, message: str, location: str = "") -> None:
        super().__init__(message)
        self.location = location


def config_location(confdir: str | Path | None, name: str) -> str:
    """``conf.py:LINE`` of the last top-level assignment to *name*, or "" if there is none."""
    if not confdir or not (conf := Path(confdir) / "conf.py").is_file():
        return ""
    try:
        tree = ast.parse(conf.read_bytes())
    except SyntaxError:
        return ""
    lines = [
        statement.lineno
        for statement in tree.body
        if isinstance(statement, ast.Assign | ast.AnnAssign)
        for target in (
            statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        )
        if isinstance(target, ast.Name) and target.id == name
    ]
    return f"{conf}:{lines[-1]}" if lines else ""


def _check_values(app: Sphinx, config: Config) -> None:
    def fail(name: str, message: str) -> NoReturn:
        raise QuireConfigError(message, location=config_location(app.confdir, name))

    for name, _default, _rebuild, types in OPTIONS:
        value = getattr(config, name)
        if not isinstance(value, tuple(types)) or isinstance(value, bool) is not (bool in types):
            expected = " or ".join(sorted(kind.__name__ for kind in types))
            fail(name, f"{name} = {value!r}: expected {expected}, not {type(value).__name__}")
    if config.quire_paper_size not in PAPER_SIZES:
        fail(
            "quire_paper_size",
            f"quire_paper_size = {config.quire_paper_size!r}: "
            f"choose one of {', '.join(sorted(PAPER_SIZES))}",
        )
    if config.quire_chapter_start not in {"page", "right"}:
        fail(
            "quire_chapter_start",
            f"quire_chapter_start = {config.quire_chapter_start!r}: choose 'page' or 'right'",
        )
    if config.quire_pdf_variant not in PDF_VARIANTS:
        fail(
            "quire_pdf_variant",
            f"quire_pdf_variant = {config.quire_pdf_variant!r}: choose one of "
            f"{', '.join(sorted(PDF_VARIANTS - {''}))} or '' for an untagged PDF",
        )
    for name in ("quire_max_article_mb", "quire_max_build_seconds", "quire_max_memory_mb"):
        value = getattr(config, name)
        if not (math.isfinite(value) and 0 < value <= LIMIT_CEILING):
            fail(
                name, f"{name} = {value!r}: expected a number above 0 and at most {LIMIT_CEILING:g}"
            )
    for name in ("quire_authors", "quire_subjects", "quire_allowed_hosts"):
        if not all(isinstance(item, str) for item in getattr(config, name)):
            fail(name, f"{name} must be a list of strings")


class _ConfigWarningLocator(stdlib_logging.Filter):
    """Gives Sphinx's type warnings about ``conf.py`` values the line they come from."""

    NAME = re.compile(r"config value `(?P<name>\w+)'")

    confdir: str | Path | None = None

    def filter(self, record: stdlib_logging.LogRecord) -> bool:
        match = self.NAME.search(str(record.msg))
        if match and not getattr(record, "location", None):
            record.location = config_location(self.confdir, match["name"]) or None
        return True


_CONFIG_WARNING_LOCATOR = _ConfigWarningLocator()


def setup(app: Sphinx) -> None:
    for name, default, rebuild, types in OPTIONS:
        app.add_config_value(name, default, rebuild, types=types)
    app.connect("config-inited", _check_values)
    # Sphinx checks types in the "sphinx.config" module's logger ("sphinx." + module name).
    _CONFIG_WARNING_LOCATOR.confdir = app.confdir
    stdlib_logging.getLogger("sphinx.sphinx.config").addFilter(_CONFIG_WARNING_LOCATOR)


def default_overrides(source: Path) -> dict[str, Any]:
    """Settings for a folder of articles that has no ``conf.py`` of its own."""
    articles = sorted(path.stem for path in source.glob("*.md"))
    has_index = "index" in articles
    root = "index" if has_index or not articles else articles[0]
    return {
        "extensions": ["quire"],
        "project": source.name.replace("-", " ").replace("_", " ").strip().capitalize()
        or "Publication",
        "root_doc": root,
        "numfig": True,
        "quire_auto_toctree": True,
        "quire_front_matter": has_index,
        "myst_enable_extensions": ["colon_fence", "deflist", "attrs_block", "attrs_inline"],
        "exclude_patterns": ["README.md", "_build", "build", ".*"],
    }
