"""What a project file declares, as read, before any of the files it names are looked up.

The readers (:mod:`~triptych.projects.mystmd`, :mod:`~triptych.projects.jupyterbook`)
turn ``myst.yml`` or ``_config.yml`` and ``_toc.yml`` into one
:class:`Declaration`; :mod:`~triptych.projects.contents` then finds the files
and turns the contents into toctrees. Everything keeps the line it was
written on, so a problem is reported there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from triptych.diagnostics import TriptychError

if TYPE_CHECKING:
    from pathlib import Path

#: Sphinx numbers every level of a ``:numbered:`` toctree up to this depth.
ALL_LEVELS = 999


class ProjectFileError(TriptychError):
    """A project file triptych cannot read at all (not YAML, or not the shape it must have)."""

    category = "project file"


@dataclass(frozen=True)
class Problem:
    """Something a project file declares that triptych cannot honour, at its line."""

    path: Path
    line: int
    message: str
    #: The document whose reading reports it; the root when empty.
    docname: str = ""

    @property
    def location(self) -> str:
        """``file:line``; a problem with a whole file (line 0) is at its first line."""
        return f"{self.path}:{self.line or 1}"


@dataclass(frozen=True)
class TocEntry:
    """One entry of a table of contents: a file, a pattern of files, or a URL."""

    line: int
    file: str = ""
    pattern: str = ""
    url: str = ""
    title: str = ""
    descending: bool = False
    #: The toctrees of the file's own document (its chapters, sections or children).
    toctrees: tuple[TocTree, ...] = ()


@dataclass(frozen=True)
class TocTree:
    """Entries listed together: one toctree, a part of the book when it has a caption."""

    line: int
    entries: tuple[TocEntry, ...]
    caption: str = ""
    #: How many levels are numbered; 0 when the toctree is not numbered.
    numbered: int = 0
    titlesonly: bool = False
    maxdepth: int = -1
    reversed: bool = False


@dataclass
class Declaration:
    """What a Jupyter Book or mystmd project says about itself."""

    #: "mystmd" or "jupyter-book".
    kind: str
    #: The file whose lines name problems with the settings (myst.yml or _config.yml).
    path: Path
    #: The file the table of contents is written in (myst.yml or _toc.yml).
    toc_path: Path
    title: str = ""
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)
    #: Sphinx's ``author``, when the project writes one string rather than a list.
    author: str = ""
    copyright: str = ""
    license: str = ""
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    date: str = ""
    language: str = ""
    #: The root document as written (Jupyter Book's ``root``), with its line.
    root: tuple[str, int] | None = None
    #: The root's toctrees; None when the project lists no contents (files are found).
    toctrees: tuple[TocTree, ...] | None = None
    exclude: list[str] = field(default_factory=list)
    #: Only the files the contents name are documents (else every file found is).
    only_listed_files: bool = True
    bibliography: list[tuple[str, int]] = field(default_factory=list)
    myst_extensions: list[str] = field(default_factory=list)
    myst_settings: dict[str, Any] = field(default_factory=dict)
    #: TeX macros: name (without the backslash) → (expansion, number of arguments).
    math_macros: dict[str, tuple[str, int]] = field(default_factory=dict)
    numfig: bool = True
    #: How many levels of the root's toctrees are numbered (mystmd's ``numbering.headings``).
    numbered: int = 0
    #: Sphinx extensions the project asks for, with the line they are named on.
    extensions: list[tuple[str, int]] = field(default_factory=list)
    #: Further Sphinx settings the project gives, already limited to harmless ones.
    settings: dict[str, Any] = field(default_factory=dict)
    #: The line each setting above was written on, by its Sphinx name.
    setting_lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, line: int, message: str, path: Path | None = None) -> None:
        self.problems.append(Problem(path or self.path, line, message))


def text(value: Any) -> str:
    """A YAML scalar as the text it stands for ("" for null); dates keep their ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return " ".join(str(value).split())
