"""``myst.yml``, the project file of mystmd and Jupyter Book 2, read into a :class:`Declaration`.

The ``project`` section gives the title, authors, licence, bibliography,
numbering, math macros and the table of contents (``toc``: ``file``,
``pattern`` and ``url`` entries, ``children``, and ``title`` groups, which
become parts). Exports, downloads, site options and execution settings
concern mystmd's own outputs and are left alone; plugins are never run.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from triptych.projects.located import LocatedList, LocatedMap, read_yaml
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

PROJECT_FILE = "myst.yml"

#: What mystmd writes with a Markdown syntax of its own, as MyST's ``myst_enable_extensions``.
MYSTMD_SYNTAX = [
    "colon_fence", "dollarmath", "amsmath", "deflist", "tasklist", "attrs_block",
    "attrs_inline", "strikethrough",
]  # fmt: skip

#: mystmd's link schemes that name a page elsewhere, as MyST's ``myst_url_schemes``.
MYSTMD_LINK_SCHEMES: dict[str, Any] = {
    "http": None,
    "https": None,
    "mailto": None,
    "ftp": None,
    "doi": {"url": "https://doi.org/{{path}}", "title": "doi:{{path}}"},
    "wiki": {"url": "https://en.wikipedia.org/wiki/{{path}}", "title": "{{path}}"},
    "rrid": {"url": "https://scicrunch.org/resolver/RRID:{{path}}", "title": "RRID:{{path}}"},
    "ror": {"url": "https://ror.org/{{path}}", "title": "ror:{{path}}"},
}


def read(path: Path) -> Declaration:
    """The declaration of the mystmd project whose ``myst.yml`` is *path*."""
    data = read_yaml(path)
    if data is None:
        data = LocatedMap()
        data.line, data.key_lines = 1, {}
    if not isinstance(data, LocatedMap):
        raise ProjectFileError(f"{PROJECT_FILE} must be a mapping", location=f"{path}:1")
    declaration = Declaration("mystmd", path, path, myst_extensions=list(MYSTMD_SYNTAX))
    declaration.myst_settings = {
        # A page's front-matter title is its title, as mystmd shows it.
        "myst_title_to_header": True,
        # Every heading can be linked to by its slug (`[](#a-heading)`), as in mystmd.
        "myst_heading_anchors": 6,
        "myst_url_schemes": dict(MYSTMD_LINK_SCHEMES),
    }
    project = _section(data, "project", declaration)
    site = _section(data, "site", declaration)
    declaration.title = text(project.get("title")) or text(site.get("title"))
    declaration.subtitle = text(project.get("subtitle"))
    declaration.description = text(project.get("description"))
    declaration.date = text(project.get("date"))
    declaration.copyright = text(project.get("copyright"))
    declaration.keywords = [text(word) for word in _listed(project.get("keywords"))]
    declaration.license = licence(project.get("license"))
    declaration.authors = authors(project.get("authors", project.get("author")))
    if "extends" in data:
        declaration.problem(
            data.line_of("extends"),
            "extends: the files it names are not read; their settings are not applied",
        )
    if "plugins" in project:
        declaration.problem(
            project.line_of("plugins"),
            "plugins are not run: what they add is shown as text",
        )
    declaration.exclude = [text(pattern) for pattern in _listed(project.get("exclude"))]
    bibliography = project.get("bibliography")
    for index, bib in enumerate(_listed(bibliography)):
        line = (
            bibliography.line_of(index)
            if isinstance(bibliography, LocatedList)
            else project.line_of("bibliography")
        )
        declaration.bibliography.append((text(bib), line))
    _numbering(project, declaration)
    declaration.math_macros = math_macros(project.get("math"), project, declaration)
    if "toc" in project:
        declaration.toctrees = toc(project["toc"], project.line_of("toc"), declaration)
    return declaration


def _section(data: LocatedMap, key: str, declaration: Declaration) -> LocatedMap:
    value = data.get(key)
    if isinstance(value, LocatedMap):
        return value
    if value is not None:
        declaration.problem(data.line_of(key), f"{key} must be a mapping; it is left out")
    empty = LocatedMap()
    empty.line, empty.key_lines = data.line_of(key), {}
    return empty


def _listed(value: Any) -> list[Any]:
    """A YAML value that may be one item or a list of them, as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def person(value: Any) -> str:
    """An author's name: a string, or an object with a ``name`` (a string or CSL parts)."""
    if isinstance(value, dict):
        name = value.get("name", value)
        if isinstance(name, dict):
            if name.get("literal"):
                return text(name["literal"])
            parts = [
                name.get("given"),
                name.get("non_dropping_particle"),
                name.get("surname", name.get("family")),
                name.get("suffix"),
            ]
            return " ".join(text(part) for part in parts if part)
        return text(name) if name is not value else ""
    return text(value)


def authors(value: Any) -> list[str]:
    return [name for name in (person(item) for item in _listed(value)) if name]


def licence(value: Any) -> str:
    """The licence as a line of text: an SPDX identifier, a name, or content and code licences."""
    if isinstance(value, dict):
        if "content" in value or "code" in value:
            content, code = licence(value.get("content")), licence(value.get("code"))
            if content and code and content != code:
                return f"Text: {content}; code: {code}"
            return content or code
        return text(value.get("id") or value.get("name") or value.get("url"))
    return text(value)


def _numbering(project: LocatedMap, declaration: Declaration) -> None:
    numbering = project.get("numbering")
    if numbering is False:
        declaration.numfig = False
    elif numbering is True:
        declaration.numbered = ALL_LEVELS
    elif isinstance(numbering, dict):
        headings = numbering.get("headings")
        if isinstance(headings, dict):
            headings = headings.get("enabled", True)
        if headings:
            declaration.numbered = ALL_LEVELS


def math_macros(
    value: Any, project: LocatedMap, declaration: Declaration
) -> dict[str, tuple[str, int]]:
    """``math:`` macros: ``'\\name': expansion`` or ``'\\name': {macro: expansion}``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        declaration.problem(project.line_of("math"), "math must map macro names to their TeX")
        return {}
    macros: dict[str, tuple[str, int]] = {}
    for name, definition in value.items():
        body = definition.get("macro") if isinstance(definition, dict) else definition
        bare = str(name).lstrip("\\")
        if not re.fullmatch(r"[A-Za-z]+", bare) or not isinstance(body, str):
            line = value.line_of(name) if isinstance(value, LocatedMap) else project.line
            declaration.problem(line, f"math: {name!r} is not a macro triptych can expand")
            continue
        arguments = max((int(digit) for digit in re.findall(r"#([1-9])", body)), default=0)
        macros[bare] = (body, arguments)
    return macros


def toc(value: Any, line: int, declaration: Declaration) -> tuple[TocTree, ...]:
    """The ``toc`` list as the root's toctrees; problems noted, bad entries left out."""
    if not isinstance(value, LocatedList):
        declaration.problem(line, "toc must be a list of entries")
        return ()
    return _toctrees(value, declaration)


def _toctrees(
    items: LocatedList, declaration: Declaration, caption: str = ""
) -> tuple[TocTree, ...]:
    """Entries as toctrees: each run of entries is one; a ``title`` group is one with a caption."""
    trees: list[TocTree] = []
    run: list[TocEntry] = []
    run_line = items.line

    def close_run() -> None:
        if run:
            trees.append(TocTree(line=run_line, entries=tuple(run), caption=caption))
            run.clear()

    for index, item in enumerate(items):
        line = items.line_of(index)
        if not isinstance(item, LocatedMap):
            declaration.problem(line, "a toc entry must be a mapping with file, url or pattern")
            continue
        children = item.get("children")
        if children is not None and not isinstance(children, LocatedList):
            declaration.problem(item.line_of("children"), "children must be a list of entries")
            children = None
        title = text(item.get("title"))
        if "file" in item or "url" in item or "pattern" in item:
            if not run:
                run_line = line
            run.append(
                TocEntry(
                    line=line,
                    file=text(item.get("file")),
                    url=text(item.get("url")) if "file" not in item else "",
                    pattern=text(item.get("pattern"))
                    if "file" not in item and "url" not in item
                    else "",
                    title=title,
                    descending=item.get("sort") == "descending",
                    toctrees=_toctrees(children, declaration) if children else (),
                )
            )
        elif title and children is not None:
            close_run()
            trees.extend(_toctrees(children, declaration, caption=title))
        else:
            declaration.problem(
                line, "expected an entry with file, url, pattern, or title and children"
            )
    close_run()
    return tuple(trees)
