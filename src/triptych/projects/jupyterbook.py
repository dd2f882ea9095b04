"""Jupyter Book 1's ``_config.yml`` and ``_toc.yml``, read into a :class:`Declaration`.

``_config.yml`` gives the title, author, copyright, language, excluded
files, MyST's settings (``parse``), the bibliography (``bibtex_bibfiles``)
and, under ``sphinx``, further Sphinx settings and extensions. Of those only
settings that change how content reads are taken (never one that names code
to run), and only extensions known to add markup without running content or
reaching the network. Execution, launch buttons, HTML and LaTeX settings
concern Jupyter Book's own outputs and are left alone.

``_toc.yml`` is sphinx-external-toc's format: ``root``, then ``chapters``
(or ``parts`` with a ``caption`` each), whose ``sections`` nest; ``jb-article``
lists ``sections``; the generic form says ``subtrees`` and ``entries``. An
entry is a ``file``, a ``glob`` or a ``url``, with an optional ``title``.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from triptych.projects.located import LocatedList, LocatedMap, plain, read_yaml
from triptych.projects.model import (
    ALL_LEVELS,
    Declaration,
    ProjectFileError,
    TocEntry,
    TocTree,
    text,
)

if TYPE_CHECKING:
    from pathlib import Path

CONFIG_FILE = "_config.yml"
TOC_FILE = "_toc.yml"

#: Jupyter Book's own defaults for ``parse``.
DEFAULT_MYST_EXTENSIONS = ["colon_fence", "dollarmath", "linkify", "substitution", "tasklist"]
DEFAULT_MYST_SETTINGS: dict[str, Any] = {
    "myst_url_schemes": ["mailto", "http", "https"],
    "myst_dmath_double_inline": True,
}

#: Sphinx settings under ``sphinx: config:`` that only change how content reads.
HARMLESS_SETTINGS = frozenset({
    "numfig", "numfig_format", "numfig_secnum_depth", "math_number_all", "math_eqref_format",
    "math_numfig", "language", "highlight_language", "suppress_warnings", "nitpicky",
    "smartquotes", "rst_prolog", "rst_epilog", "project", "author", "copyright",
    "exclude_patterns", "bibtex_reference_style", "bibtex_default_style",
    "bibtex_bibfiles", "bibtex_cite_id", "bibtex_footcite_id", "bibtex_bibliography_id",
    "bibtex_footbibliography_id",
})  # fmt: skip

#: Extensions that add markup and run nothing from content, loaded when installed.
HARMLESS_EXTENSIONS = frozenset({
    "sphinx.ext.extlinks", "sphinx.ext.todo", "sphinx.ext.duration",
    "sphinx.ext.autosectionlabel", "sphinx.ext.mathjax", "sphinx.ext.githubpages",
    "sphinxcontrib.bibtex", "sphinx_design", "sphinx_proof", "sphinx_exercise",
    "sphinx_togglebutton", "sphinx_copybutton", "sphinx_inline_tabs", "sphinx_tabs.tabs",
    "sphinxcontrib.mermaid",
})  # fmt: skip

#: Why an extension a project names is not loaded, for the ones projects name most.
REFUSED_EXTENSIONS = {
    "sphinx.ext.autodoc": "it imports the project's code",
    "sphinx.ext.autosummary": "it imports the project's code",
    "sphinx.ext.doctest": "it runs the project's code",
    "sphinx.ext.viewcode": "it imports the project's code",
    "sphinx.ext.ifconfig": "it evaluates Python written in the articles",
    "sphinx.ext.intersphinx": "it fetches inventories over the network",
    "sphinx.ext.graphviz": "it runs a program on the articles' content",
    "sphinx.ext.inheritance_diagram": "it imports the project's code",
    "myst_nb": "it executes notebooks",
    "jupyter_book": "it executes notebooks",
    "sphinx_thebe": "it runs code in the reader's browser",
}


def read(config_path: Path, toc_path: Path) -> Declaration:
    """The declaration of the Jupyter Book whose files are *config_path* and *toc_path*."""
    declaration = Declaration(
        "jupyter-book", config_path, toc_path,
        myst_extensions=list(DEFAULT_MYST_EXTENSIONS), myst_settings=dict(DEFAULT_MYST_SETTINGS),
        only_listed_files=False,
    )  # fmt: skip
    if config_path.is_file():
        _read_config(_mapping(config_path), declaration)
    if toc_path.is_file():
        _read_toc(_mapping(toc_path), declaration)
    return declaration


def _mapping(path: Path) -> LocatedMap:
    data = read_yaml(path)
    if data is None:
        data = LocatedMap()
        data.line, data.key_lines = 1, {}
    if not isinstance(data, LocatedMap):
        raise ProjectFileError(f"{path.name} must be a mapping", location=f"{path}:1")
    return data


def _read_config(config: LocatedMap, declaration: Declaration) -> None:
    declaration.title = text(config.get("title"))
    declaration.author = text(config.get("author")).rstrip(",")
    declaration.copyright = text(config.get("copyright")).rstrip(",")
    declaration.language = text(config.get("language"))
    declaration.description = text(config.get("description"))
    excluded = config.get("exclude_patterns")
    declaration.exclude = [text(p) for p in excluded] if isinstance(excluded, list) else []
    declaration.only_listed_files = config.get("only_build_toc_files") is True
    bibfiles = config.get("bibtex_bibfiles")
    if isinstance(bibfiles, LocatedList):
        declaration.bibliography = [
            (text(bib), bibfiles.line_of(index)) for index, bib in enumerate(bibfiles)
        ]
    elif isinstance(bibfiles, str):
        declaration.bibliography = [(bibfiles, config.line_of("bibtex_bibfiles"))]
    parse = config.get("parse")
    if isinstance(parse, LocatedMap):
        for key, value in parse.items():
            if key == "myst_enable_extensions":
                declaration.myst_extensions = [text(name) for name in value or []]
                declaration.setting_lines[key] = parse.line_of(key)
            elif str(key).startswith("myst_"):
                declaration.myst_settings[str(key)] = plain(value)
                declaration.setting_lines[str(key)] = parse.line_of(key)
    sphinx = config.get("sphinx")
    if isinstance(sphinx, LocatedMap):
        _read_sphinx_section(sphinx, declaration)


def _read_sphinx_section(sphinx: LocatedMap, declaration: Declaration) -> None:
    extensions = sphinx.get("extra_extensions")
    if isinstance(extensions, str):
        extensions = [extensions]
    if isinstance(extensions, list):
        for index, name in enumerate(extensions):
            line = (
                extensions.line_of(index)
                if isinstance(extensions, LocatedList)
                else sphinx.line_of("extra_extensions")
            )
            _extension(text(name), line, declaration)
    if sphinx.get("local_extensions"):
        declaration.problem(
            sphinx.line_of("local_extensions"),
            "local_extensions are code in the project: they are not run",
        )
    settings = sphinx.get("config")
    if not isinstance(settings, LocatedMap):
        return
    for key, value in settings.items():
        name = str(key)
        if name in {"mathjax3_config", "mathjax_config"}:
            declaration.math_macros.update(mathjax_macros(value))
        elif name.startswith("myst_"):
            declaration.myst_settings[name] = plain(value)
            declaration.setting_lines[name] = settings.line_of(key)
        elif name == "html_title" and not declaration.title:
            declaration.title = text(value)
        elif name == "bibtex_bibfiles" and isinstance(value, list):
            declaration.bibliography = [(text(bib), settings.line_of(key)) for bib in value]
        elif name in HARMLESS_SETTINGS:
            declaration.settings[name] = plain(value)
            declaration.setting_lines[name] = settings.line_of(key)


def _extension(name: str, line: int, declaration: Declaration) -> None:
    if name in HARMLESS_EXTENSIONS:
        declaration.extensions.append((name, line))
    elif reason := REFUSED_EXTENSIONS.get(name):
        declaration.problem(line, f"extension {name} is not loaded: {reason}")
    else:
        declaration.problem(
            line, f"extension {name} is not loaded: it is not known to run nothing from content"
        )


def extension_installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def mathjax_macros(value: Any) -> dict[str, tuple[str, int]]:
    """MathJax's ``tex.macros`` (version 3) or ``TeX.Macros`` (version 2)."""
    if not isinstance(value, dict):
        return {}
    section = value.get("tex", value.get("TeX"))
    macros = section.get("macros", section.get("Macros")) if isinstance(section, dict) else None
    found: dict[str, tuple[str, int]] = {}
    for name, definition in (macros or {}).items() if isinstance(macros, dict) else ():
        if isinstance(definition, str):
            found[str(name).lstrip("\\")] = (definition, 0)
        elif isinstance(definition, list) and definition and isinstance(definition[0], str):
            count = definition[1] if len(definition) > 1 and isinstance(definition[1], int) else 0
            found[str(name).lstrip("\\")] = (definition[0], count)
    return found


#: Keys that hold toctrees, and keys that hold a toctree's entries, across the formats.
SUBTREE_KEYS = ("parts", "subtrees")
ENTRY_KEYS = ("chapters", "sections", "entries")
OPTION_KEYS = ("caption", "numbered", "titlesonly", "maxdepth", "hidden", "reversed", "style")


def _read_toc(toc: LocatedMap, declaration: Declaration) -> None:
    path = declaration.toc_path
    if "root" not in toc:
        raise ProjectFileError(f"{path.name} names no root document", location=f"{path}:1")
    declaration.root = (text(toc["root"]), toc.line_of("root"))
    file_format = text(toc.get("format")) or "default"
    if file_format not in {"jb-book", "jb-article", "default"}:
        declaration.problem(
            toc.line_of("format"), f"format {file_format!r} is not known; read as jb-book", path
        )
    defaults = dict(toc.get("defaults") or {}) if isinstance(toc.get("defaults"), dict) else {}
    if file_format.startswith("jb-"):
        defaults.setdefault("titlesonly", True)
    declaration.toctrees = _subtrees(toc, declaration, defaults)


def _subtrees(
    owner: LocatedMap, declaration: Declaration, defaults: dict[str, Any]
) -> tuple[TocTree, ...]:
    """The toctrees of a document: its parts (subtrees), or its one list of chapters (entries)."""
    path = declaration.toc_path
    for key in SUBTREE_KEYS:
        if key in owner:
            parts = owner[key]
            if not isinstance(parts, LocatedList):
                declaration.problem(owner.line_of(key), f"{key} must be a list", path)
                return ()
            trees = []
            for index, part in enumerate(parts):
                if not isinstance(part, LocatedMap):
                    declaration.problem(parts.line_of(index), "a part must be a mapping", path)
                    continue
                if tree := _toctree(part, part, declaration, defaults):
                    trees.append(tree)
            return tuple(trees)
    options = owner.get("options")
    tree = _toctree(owner, options if isinstance(options, dict) else {}, declaration, defaults)
    return (tree,) if tree else ()


def _toctree(
    owner: LocatedMap, options: dict[str, Any], declaration: Declaration, defaults: dict[str, Any]
) -> TocTree | None:
    path = declaration.toc_path
    key = next((key for key in ENTRY_KEYS if key in owner), None)
    if key is None:
        return None
    items = owner[key]
    if not isinstance(items, LocatedList):
        declaration.problem(owner.line_of(key), f"{key} must be a list of entries", path)
        return None
    settings = {**defaults, **{k: v for k, v in options.items() if k in OPTION_KEYS}}
    entries = []
    for index, item in enumerate(items):
        line = items.line_of(index)
        if not isinstance(item, LocatedMap):
            declaration.problem(line, "an entry must be a mapping with file, glob or url", path)
            continue
        kinds = [kind for kind in ("file", "glob", "url") if kind in item]
        if len(kinds) != 1:
            declaration.problem(line, "an entry needs exactly one of file, glob and url", path)
            continue
        entries.append(
            TocEntry(
                line=line,
                file=text(item.get("file")),
                pattern=text(item.get("glob")),
                url=text(item.get("url")),
                title=text(item.get("title")),
                toctrees=_subtrees(item, declaration, defaults) if "file" in item else (),
            )
        )
    numbered = settings.get("numbered", False)
    return TocTree(
        line=owner.line_of(key),
        entries=tuple(entries),
        caption=text(settings.get("caption")),
        numbered=ALL_LEVELS if numbered is True else numbered if isinstance(numbered, int) else 0,
        titlesonly=bool(settings.get("titlesonly", False)),
        maxdepth=settings.get("maxdepth", -1) if isinstance(settings.get("maxdepth"), int) else -1,
        reversed=bool(settings.get("reversed", False)),
    )
