"""Jupyter Book and mystmd projects, built as their authors wrote them, without a ``conf.py``.

A folder with ``myst.yml`` (mystmd, Jupyter Book 2) or ``_config.yml`` and
``_toc.yml`` (Jupyter Book 1) says what it holds: :func:`declared_overrides`
reads those files (YAML only, never code) and turns them into the Sphinx
settings a folder without ``conf.py`` is built with: title, authors,
licence, the contents as toctrees written into their documents, the
bibliography, MyST's extensions and math macros.

What a project declares that the editions leave out (a missing file, a
notebook, an extension that is not run) is a warning at its line in the
project file, reported when the document it concerns is read. A project file
that is not YAML, or not the shape it must have, stops the build with one
line naming the file and the line.
"""

from __future__ import annotations

import importlib.util
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from sphinx.util import logging

from triptych.diagnostics import Subtype, warn
from triptych.projects import jupyterbook, mystmd
from triptych.projects.contents import (
    NOTEBOOK_SUFFIX,
    Contents,
    insert_toctrees,
    lift_appended_toctrees,
    resolve,
)
from triptych.projects.located import YamlError
from triptych.projects.model import Declaration, Problem, ProjectFileError

if TYPE_CHECKING:
    from pathlib import Path

    from sphinx.application import Sphinx
    from sphinx.config import Config

logger = logging.getLogger(__name__)

#: The options this package sets from a project file (internal: a conf.py has no use for them).
OPTIONS: tuple[tuple[str, Any, Literal["", "env"], frozenset[type]], ...] = (
    ("triptych_toctrees", {}, "env", frozenset({dict})),
    ("triptych_project_file", "", "env", frozenset({str})),
    ("triptych_project_problems", [], "env", frozenset({list})),
    ("triptych_project_error", [], "", frozenset({list})),
    ("triptych_math_macros", {}, "env", frozenset({dict})),
    ("triptych_bibliography", [], "env", frozenset({list})),
    ("triptych_bibliography_doc", "", "env", frozenset({str})),
)

#: Where the works a mystmd project cites are listed, when no article lists them itself.
REFERENCES = "\n\n## References\n\n```{bibliography}\n```\n"


def declaration_of(source: Path) -> Declaration | None:
    """What the project in *source* declares, or None when it has no project file."""
    if (source / mystmd.PROJECT_FILE).is_file():
        declaration = mystmd.read(source / mystmd.PROJECT_FILE)
        if declaration.toctrees is None and (source / jupyterbook.TOC_FILE).is_file():
            # mystmd reads a Jupyter Book table of contents when myst.yml has none.
            toc = jupyterbook.read(source / jupyterbook.CONFIG_FILE, source / jupyterbook.TOC_FILE)
            declaration.root, declaration.toctrees = toc.root, toc.toctrees
            declaration.toc_path = toc.toc_path
            declaration.problems.extend(p for p in toc.problems if p.path == toc.toc_path)
        return declaration
    if (source / jupyterbook.TOC_FILE).is_file() or (source / jupyterbook.CONFIG_FILE).is_file():
        return jupyterbook.read(source / jupyterbook.CONFIG_FILE, source / jupyterbook.TOC_FILE)
    return None


def declared_overrides(source: Path, folder: dict[str, Any]) -> dict[str, Any]:
    """The settings *folder* gives a folder of articles, with what its project declares."""
    try:
        declaration = declaration_of(source)
        if declaration is None:
            return folder
        contents = (
            resolve(source, declaration)
            if declaration.toctrees is not None or declaration.kind == "mystmd"
            else None
        )
    except YamlError as problem:
        path = _unreadable_file(source)
        return {**folder, "triptych_project_error": [f"{path}:{problem.line}", str(problem)]}
    except ProjectFileError as problem:
        return {**folder, "triptych_project_error": [problem.location, str(problem)]}
    except (OSError, UnicodeDecodeError) as problem:
        path = _unreadable_file(source)
        return {**folder, "triptych_project_error": [str(path), f"unreadable: {problem}"]}
    return settings_of(declaration, contents, folder, source)


def _unreadable_file(source: Path) -> Path:
    """The project file a reading error came from: the first that does not parse."""
    from triptych.projects.located import read_yaml

    for name in (mystmd.PROJECT_FILE, jupyterbook.CONFIG_FILE, jupyterbook.TOC_FILE):
        path = source / name
        if path.is_file():
            try:
                read_yaml(path)
            except (YamlError, OSError, UnicodeDecodeError):
                return path
    return source


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def settings_of(
    declaration: Declaration, contents: Contents | None, folder: dict[str, Any], source: Path
) -> dict[str, Any]:
    """Sphinx settings from a declaration, over *folder*'s."""
    settings = dict(folder)
    problems = list(declaration.problems)
    if declaration.title:
        settings["project"] = settings["html_title"] = declaration.title
    settings["triptych_project_file"] = str(declaration.path)
    if contents is not None:
        settings["root_doc"] = contents.root
        settings["triptych_auto_toctree"] = False
        # The root is the publication's landing page: the title page and contents stand in for it.
        settings["triptych_front_matter"] = True
        settings["triptych_toctrees"] = contents.toctrees
        problems.extend(contents.problems)
        if declaration.only_listed_files:
            settings["include_patterns"] = contents.documents
        listed = set(contents.documents)
    else:
        listed = set()
    excluded = [*folder.get("exclude_patterns", []), *declaration.exclude]
    settings["exclude_patterns"] = [p for p in dict.fromkeys(excluded) if p not in listed]
    _metadata(declaration, settings)
    settings["numfig"] = declaration.numfig
    _myst_settings(declaration, settings, problems)
    if declaration.math_macros:
        settings["triptych_math_macros"] = {
            name: [body, count] for name, (body, count) in declaration.math_macros.items()
        }
    extensions = list(settings.get("extensions", ["triptych"]))
    for name, line in declaration.extensions:
        if _installed(name):
            extensions.append(name)
        else:
            problems.append(Problem(declaration.path, line, f"extension {name} is not installed"))
    documents = contents.documents if contents is not None else []
    _bibliography(declaration, source, settings, extensions, problems, documents=documents)
    settings["extensions"] = list(dict.fromkeys(extensions))
    for name, value in declaration.settings.items():
        if name.startswith("bibtex_") and "sphinxcontrib.bibtex" not in extensions:
            continue
        settings[name] = value
    root = settings.get("root_doc", "index")
    settings["triptych_project_problems"] = [
        [problem.docname or root, problem.location, problem.message] for problem in problems
    ]
    return settings


def _metadata(declaration: Declaration, settings: dict[str, Any]) -> None:
    """Title page and package metadata: authors, subtitle, date, copyright, licence."""
    if declaration.authors:
        settings["triptych_authors"] = declaration.authors
        settings["author"] = ", ".join(declaration.authors)
    elif declaration.author:
        settings["author"] = declaration.author
    for name, value in (
        ("triptych_subtitle", declaration.subtitle),
        ("triptych_description", declaration.description),
        ("triptych_date", declaration.date),
        ("copyright", declaration.copyright),
        ("language", declaration.language),
    ):
        if value:
            settings[name] = value
    if declaration.copyright:
        settings["html_show_copyright"] = True
    if declaration.keywords:
        settings["triptych_subjects"] = declaration.keywords
    if declaration.license:
        rights = [f"© {declaration.copyright}"] if declaration.copyright else []
        settings["triptych_rights"] = "; ".join([*rights, f"licence: {declaration.license}"])


def _myst_settings(
    declaration: Declaration, settings: dict[str, Any], problems: list[Problem]
) -> None:
    from myst_parser.config.main import MdParserConfig

    def valid(field: str, value: Any) -> bool:
        try:
            MdParserConfig(**{field: value})
        except (TypeError, ValueError):
            return False
        return True

    line = declaration.setting_lines.get("myst_enable_extensions", 1)
    extensions = []
    for name in dict.fromkeys(declaration.myst_extensions):
        if name == "linkify" and not _installed("linkify_it"):
            if "myst_enable_extensions" in declaration.setting_lines:
                problems.append(Problem(
                    declaration.path, line,
                    "MyST's linkify needs linkify-it-py, which is not installed: bare URLs stay text",
                ))  # fmt: skip
        elif valid("enable_extensions", [name]):
            extensions.append(name)
        else:
            problems.append(Problem(declaration.path, line, f"{name!r} is not a MyST extension"))
    settings["myst_enable_extensions"] = extensions
    for name, value in declaration.myst_settings.items():
        field = name.removeprefix("myst_")
        if field in MdParserConfig.__dataclass_fields__ and valid(field, value):
            settings[name] = value
        else:
            where = declaration.setting_lines.get(name, 1)
            problems.append(
                Problem(
                    declaration.path,
                    where,
                    f"{name} is not a MyST setting triptych can use: left out",
                )
            )


def _has_bibliography(source: Path, documents: list[str]) -> bool:
    return any(
        "{bibliography}" in (source / document).read_text(encoding="utf-8", errors="replace")
        for document in documents
    )


def _bibliography(
    declaration: Declaration,
    source: Path,
    settings: dict[str, Any],
    extensions: list[str],
    problems: list[Problem],
    *,
    documents: list[str],
) -> None:
    files = []
    for written, line in declaration.bibliography:
        path = (source / written).resolve()
        if not path.is_relative_to(source.resolve()) or not path.is_file():
            problems.append(
                Problem(declaration.path, line, f"{written}: no such file in the source folder")
            )
            continue
        files.append(path.relative_to(source.resolve()).as_posix())
    if declaration.kind == "mystmd" and not declaration.bibliography:
        # mystmd reads every .bib file of the project when none are named.
        files = sorted(path.relative_to(source).as_posix() for path in source.glob("*.bib"))
    if not files:
        return
    if _installed("sphinxcontrib.bibtex"):
        extensions.append("sphinxcontrib.bibtex")
        settings["bibtex_bibfiles"] = files
        if declaration.kind == "mystmd" and documents and not _has_bibliography(source, documents):
            # mystmd lists the works cited by itself; sphinxcontrib-bibtex needs a place for them.
            settings["triptych_bibliography_doc"] = (
                PurePosixPath(documents[-1]).with_suffix("").as_posix()
            )
        return
    settings["triptych_bibliography"] = files
    line = declaration.bibliography[0][1] if declaration.bibliography else 1
    problems.append(Problem(
        declaration.path, line,
        "citations need sphinxcontrib-bibtex, which is not installed: they show their keys "
        "and the bibliography is left out",
    ))  # fmt: skip


def raise_project_error(_app: Sphinx, config: Config) -> None:
    if config.triptych_project_error:
        location, message = config.triptych_project_error
        raise ProjectFileError(message, location=location)


def append_bibliography(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == app.config.triptych_bibliography_doc:
        source[0] = source[0].rstrip() + REFERENCES


def report_problems(app: Sphinx, docname: str, _source: list[str]) -> None:
    """Warn, as *docname* is read, about what the project file declares for it."""
    problems = [p for p in app.config.triptych_project_problems if p[0] == docname]
    if not problems:
        return
    # The document's problems come from the project file: a change there is a change here,
    # and the warnings are tied to this document, to be reported until they are mended.
    app.env.note_dependency(app.config.triptych_project_file)
    for _docname, location, message in problems:
        warn(logger, Subtype.PROJECT, "%s", message, location=location)


def setup(app: Sphinx) -> None:
    from triptych.projects import fallbacks, math

    for name, default, rebuild, types in OPTIONS:
        app.add_config_value(name, default, rebuild, types=types)
    app.connect("config-inited", raise_project_error)
    app.connect("source-read", append_bibliography)
    app.connect("source-read", insert_toctrees)
    app.connect("source-read", report_problems)
    # Before Sphinx's collectors (priority 500) number the sections and note the toctrees.
    app.connect("doctree-read", lift_appended_toctrees, priority=400)
    # Before the formulas are drawn (triptych.math, priority 700).
    app.connect("doctree-read", math.expand_macros, priority=450)
    fallbacks.setup(app)


__all__ = ["NOTEBOOK_SUFFIX", "declared_overrides", "setup"]
