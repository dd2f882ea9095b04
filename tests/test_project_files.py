"""Project files read into Sphinx settings: formats of the contents, metadata, macros."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from triptych.config import default_overrides
from triptych.projects.math import expand

if TYPE_CHECKING:
    from pathlib import Path


def settings(source: Path, files: dict[str, str]) -> dict[str, Any]:
    for name, text in files.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return default_overrides(source)


def toctrees(overrides: dict[str, Any]) -> dict[str, list[tuple[str, list[str]]]]:
    """docname → [(caption, [target, ...])] of the toctrees written into it."""
    return {
        docname: [
            (spec["caption"], [target for _title, target in spec["entries"]]) for spec in specs
        ]
        for docname, specs in overrides["triptych_toctrees"].items()
    }


def problems(overrides: dict[str, Any], source: Path) -> list[str]:
    return [
        f"{location.removeprefix(str(source) + '/')}: {message}"
        for _docname, location, message in overrides["triptych_project_problems"]
    ]


def test_a_folder_without_project_files_is_unchanged(tmp_path: Path) -> None:
    overrides = settings(tmp_path, {"index.md": "# Notes\n"})
    assert "triptych_toctrees" not in overrides
    assert overrides["triptych_auto_toctree"] is True


def test_sphinx_external_toc_generic_format(tmp_path: Path) -> None:
    overrides = settings(
        tmp_path,
        {
            "_toc.yml": (
                "root: intro\n"
                "options:\n  caption: Guide\n  numbered: 2\n"
                "entries:\n"
                "  - file: doc1\n"
                "    subtrees:\n      - caption: Inner\n        entries:\n          - file: doc2\n"
                "  - glob: more/*\n"
                "  - url: https://example.org\n    title: Example\n"
            ),
            "intro.md": "# Intro\n",
            "doc1.md": "# One\n",
            "doc2.rst": "Two\n===\n",
            "more/b.md": "# B\n",
            "more/a.md": "# A\n",
        },
    )
    assert overrides["root_doc"] == "intro"
    assert toctrees(overrides) == {
        "intro": [("Guide", ["/doc1", "/more/a", "/more/b", "https://example.org"])],
        "doc1": [("Inner", ["/doc2"])],
    }
    assert overrides["triptych_toctrees"]["intro"][0]["numbered"] == 2
    # Jupyter Book reads every document of the folder unless told to keep to the contents.
    assert "include_patterns" not in overrides


def test_jb_article_and_only_listed_files(tmp_path: Path) -> None:
    overrides = settings(
        tmp_path,
        {
            "_config.yml": "title: An article\nonly_build_toc_files: true\n",
            "_toc.yml": "format: jb-article\nroot: index\nsections:\n  - file: method.md\n",
            "index.md": "# Article\n",
            "method.md": "# Method\n",
            "scratch.md": "# Not listed\n",
        },
    )
    assert toctrees(overrides) == {"index": [("", ["/method"])]}
    assert overrides["triptych_toctrees"]["index"][0]["titlesonly"] is True
    assert overrides["include_patterns"] == ["index.md", "method.md"]
    assert overrides["project"] == "An article"


def test_mystmd_contents_found_when_not_listed(tmp_path: Path) -> None:
    overrides = settings(
        tmp_path,
        {
            "myst.yml": "version: 1\nproject:\n  title: Found\n  exclude: [drafts/*]\n",
            "README.md": "# Found\n",
            "chapter10.md": "# Ten\n",
            "chapter9.md": "# Nine\n",
            "02_field-notes/b.md": "# B\n",
            "02_field-notes/a.md": "# A\n",
            "drafts/wip.md": "# WIP\n",
        },
    )
    # README.md is the root when there is no index.md; files come before folders, in
    # natural order, and a folder is a part titled after it.
    assert overrides["root_doc"] == "README"
    assert toctrees(overrides) == {
        "README": [
            ("", ["/chapter9", "/chapter10"]),
            ("Field Notes", ["/02_field-notes/a", "/02_field-notes/b"]),
        ]
    }
    assert "README.md" not in overrides["exclude_patterns"]
    assert "drafts/wip.md" not in overrides["include_patterns"]


def test_mystmd_toc_problems_are_located(tmp_path: Path) -> None:
    overrides = settings(
        tmp_path,
        {
            "myst.yml": (
                "version: 1\n"
                "project:\n"
                "  toc:\n"
                "    - file: index.md\n"
                "    - file: ../outside.md\n"
                "    - file: a.md\n"
                "    - file: a.md\n"
                "    - pattern: 'notes/*.md'\n"
                "      sort: descending\n"
                "    - pattern: 'none/*.md'\n"
                "    - just: nothing\n"
                "    - title: Group\n"
                "      children:\n"
                "        - title: Inner\n"
                "          children:\n"
                "            - file: b.md\n"
            ),
            "index.md": "# Index\n",
            "a.md": "# A\n",
            "b.md": "# B\n",
            "notes/1.md": "# 1\n",
            "notes/2.md": "# 2\n",
        },
    )
    assert toctrees(overrides) == {
        "index": [("", ["/a", "/notes/2", "/notes/1"]), ("Inner", ["/b"])],
    }
    assert problems(overrides, tmp_path) == [
        "myst.yml:11: expected an entry with file, url, pattern, or title and children",
        "myst.yml:5: ../outside.md: outside the source folder; left out of the contents",
        "myst.yml:7: a is listed twice; only its first place is kept",
        "myst.yml:10: none/*.md: matches no document",
    ]


def test_mystmd_metadata(tmp_path: Path) -> None:
    overrides = settings(
        tmp_path,
        {
            "myst.yml": (
                "version: 1\n"
                "project:\n"
                "  title: Metadata\n"
                "  authors:\n"
                "    - name: {literal: The Working Group}\n"
                "    - name: {given: Ana, surname: Silva}\n"
                "    - Bo Li\n"
                "  license:\n    content: CC-BY-4.0\n    code: MIT\n"
                "  date: 2026-02-01\n"
                "  keywords: [alliances, treaties]\n"
                "  math:\n"
                "    '\\R': '\\mathbb{R}'\n"
                "    '\\pair': {macro: '(#1, #2)', title: A pair}\n"
                "  numbering: {headings: true}\n"
                "extends: [../shared.yml]\n"
            ),
            "index.md": "# Metadata\n",
        },
    )
    assert overrides["triptych_authors"] == ["The Working Group", "Ana Silva", "Bo Li"]
    assert overrides["triptych_rights"] == "licence: Text: CC-BY-4.0; code: MIT"
    assert overrides["triptych_date"] == "2026-02-01"
    assert overrides["triptych_subjects"] == ["alliances", "treaties"]
    assert overrides["triptych_math_macros"] == {
        "R": [r"\mathbb{R}", 0],
        "pair": ["(#1, #2)", 2],
    }
    assert overrides["html_title"] == "Metadata"
    assert problems(overrides, tmp_path) == [
        "myst.yml:17: extends: the files it names are not read; their settings are not applied"
    ]


def test_jupyter_book_settings_that_run_nothing(tmp_path: Path) -> None:
    overrides = settings(
        tmp_path,
        {
            "_config.yml": (
                "title: Settings\n"
                "parse:\n"
                "  myst_enable_extensions: [colon_fence, linkify, not_an_extension]\n"
                "  myst_heading_anchors: 3\n"
                "  myst_heading_anchors_wrong: 3\n"
                "sphinx:\n"
                "  local_extensions:\n    mine: _ext\n"
                "  extra_extensions: [sphinx.ext.todo, sphinx.ext.autodoc, not_installed_ext]\n"
                "  config:\n"
                "    numfig_secnum_depth: 2\n"
                "    html_theme: sphinx_book_theme\n"
                "    nb_execution_mode: force\n"
            ),
            "_toc.yml": "format: jb-book\nroot: index\n",
            "index.md": "# Settings\n",
        },
    )
    assert overrides["myst_enable_extensions"] == ["colon_fence"]
    assert overrides["myst_heading_anchors"] == 3
    assert overrides["numfig_secnum_depth"] == 2
    assert "html_theme" not in overrides or overrides["html_theme"] == "furo"
    assert "nb_execution_mode" not in overrides
    assert "sphinx.ext.todo" in overrides["extensions"]
    assert "sphinx.ext.autodoc" not in overrides["extensions"]
    assert sorted(problems(overrides, tmp_path)) == sorted(
        [
            "_config.yml:9: extension sphinx.ext.autodoc is not loaded: it imports the project's code",
            (
                "_config.yml:9: extension not_installed_ext is not loaded: it is not known to run nothing"
                " from content"
            ),
            "_config.yml:7: local_extensions are code in the project: they are not run",
            (
                "_config.yml:3: MyST's linkify needs linkify-it-py, which is not installed: bare URLs"
                " stay text"
            ),
            "_config.yml:3: 'not_an_extension' is not a MyST extension",
            (
                "_config.yml:5: myst_heading_anchors_wrong is not a MyST setting triptych can use: left"
                " out"
            ),
        ]
    )


@pytest.mark.parametrize(
    ("tex", "expanded"),
    [
        (r"x \in \R^n", r"x \in \mathbb{R}^n"),
        (r"\pair{a}{\R} + \pair ab", r"(a, \mathbb{R}) + (a, b)"),
        (r"\Real \\R", r"\Real \\R"),  # another control word; a line break and a letter
        (r"\loop", r"\loop" + " x" * 16),  # a macro that calls itself stops
    ],
)
def test_math_macros(tex: str, expanded: str) -> None:
    macros = {"R": (r"\mathbb{R}", 0), "pair": ("(#1, #2)", 2), "loop": (r"\loop x", 0)}
    assert expand(tex, macros) == expanded
