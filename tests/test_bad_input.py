"""Bad input: one clear ``file:line: message``, a non-zero exit, and the published editions kept.

A small publication is built and published once; each case breaks a copy of
it and builds into a copy of the published editions with ``triptych build -W``
(as the make targets do), then checks stderr and that every published byte
is as it was.
"""

from __future__ import annotations

import os
import re
import shutil
from typing import TYPE_CHECKING

import pytest

from outputs import fingerprint, triptych, triptych_build

if TYPE_CHECKING:
    from pathlib import Path

CONF = 'project = "Sound"\nextensions = ["triptych"]\nmyst_enable_extensions = ["colon_fence"]\n'
INDEX = "# Sound\n\n```{toctree}\nfirst\nsecond\nglossary\n```\n"
FIRST = "# First\n\nThe {term}`treaty` binds both states.\n\n(first-section)=\n## Terms\n\nText.\n"
SECOND = "# Second\n\nSee {ref}`first-section`.\n\n![A diagram](figure.svg)\n"
GLOSSARY = "# Glossary\n\n```{glossary}\ntreaty\n  An agreement between states.\n```\n"
FIGURE = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10"/></svg>'


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A sound publication, built and published: (its source folder, its editions' hashes)."""
    work = tmp_path_factory.mktemp("sound")
    source = work / "origin"
    source.mkdir()
    for name, text in {
        "conf.py": CONF,
        "index.md": INDEX,
        "first.md": FIRST,
        "second.md": SECOND,
        "glossary.md": GLOSSARY,
        "figure.svg": FIGURE,
    }.items():
        (source / name).write_text(text)
    out = triptych_build(source, work)
    return work / "src", fingerprint(out)


#: (case, file to write, its text, the file:line stderr must name, the message)
CASES = [
    ("invalid UTF-8", "first.md", b"# First\n\nA caf\xe9 here.\n", "first.md:3", "not utf-8"),
    (
        "fence left open",
        "second.md",
        "# Second\n\n```python\nx = 1\n\nMore prose.\n",
        "second.md:3",
        "``` opened here is never closed",
    ),
    (
        "circular include",
        "second.md",
        "# Second\n\n```{include} part.md\n```\n",
        "part.md:3",
        "circular include: second.md → part.md → second.md",
    ),
    ("empty article", "second.md", "", "second.md:1", "article is empty"),
    (
        "control character",
        "second.md",
        "# Second\n\nAn escape \x1b here.\n",
        "second.md:3",
        "character U+001B removed: no edition can carry it",
    ),
    (
        "undefined term",
        "second.md",
        "# Second\n\nA {term}`pact` here.\n",
        "second.md:3",
        "term not in glossary: 'pact'",
    ),
    (
        "broken reference",
        "second.md",
        "# Second\n\nSee {ref}`nowhere`.\n",
        "second.md:3",
        "undefined label: 'nowhere'",
    ),
    (
        "missing image",
        "second.md",
        "# Second\n\n![Gone](missing.svg)\n",
        "second.md:3",
        "image file not readable: missing.svg",
    ),
    (
        "duplicate label",
        "second.md",
        "# Second\n\n(first-section)=\n## Again\n\nText.\n",
        "second.md:4",
        "duplicate label first-section",
    ),
    (
        "term defined twice",
        "glossary.md",
        GLOSSARY + "\n```{glossary}\ntreaty\n  Defined again.\n```\n",
        "glossary.md:9",
        "treaty",
    ),
    (
        "unknown directive",
        "second.md",
        "# Second\n\n```{sidebox}\nText.\n```\n",
        "second.md:3",
        "unknown directive {sidebox}: shown as its text",
    ),
    (
        "unknown role",
        "second.md",
        "# Second\n\nA {kbdx}`key`.\n",
        "second.md:3",
        "unknown role {kbdx}: shown as its text",
    ),
    (
        "malformed front matter",
        "second.md",
        "---\ntitle: [never closed\n---\n# Second\n\nText.\n",
        "second.md:1",
        "Malformed YAML",
    ),
    (
        "conf.py value of the wrong type",
        "conf.py",
        CONF + "triptych_paper_size = 4\n",
        "conf.py:4",
        "triptych_paper_size = 4: expected str, not int",
    ),
    (
        "option under its former name",
        "conf.py",
        CONF + "quire_paper_size = 'A4'\n",
        "conf.py:4",
        "quire_paper_size is now called triptych_paper_size: rename it in conf.py",
    ),
    (
        "Sphinx value of the wrong type",
        "conf.py",
        CONF + "numfig = 'yes'\n",
        "conf.py:4",
        "The config value `numfig' has type `str'",
    ),
    (
        "site theme not installed",
        "conf.py",
        CONF + "html_theme = 'no_such_theme'\n",
        "conf.py:4",
        "html_theme = 'no_such_theme': no such theme is installed",
    ),
    (
        "extension not installed",
        "conf.py",
        CONF.replace('["triptych"]', '[\n    "triptych",\n    "not_installed_ext",\n]'),
        "conf.py:4",
        "extension 'not_installed_ext' cannot be imported (No module named 'not_installed_ext')",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_one_line_and_loses_nothing(
    published: tuple[Path, dict[str, str]],
    tmp_path: Path,
    case: tuple[str, str, str | bytes, str, str],
) -> None:
    _, name, text, where, message = case
    sound, before = published
    source = tmp_path / "src"
    shutil.copytree(sound, source)
    shutil.copytree(sound.parent / "out", tmp_path / "out")
    if "part.md" in str(text):
        (source / "part.md").write_text("Part.\n\n```{include} second.md\n```\n")
    (source / name).write_bytes(text if isinstance(text, bytes) else text.encode())

    result = triptych("build", source, "-o", tmp_path / "out", "-W", "-q")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr
    located = rf"^{re.escape(str(source / where))}: .*{re.escape(message)}"
    assert re.search(located, result.stderr, re.MULTILINE), result.stderr
    assert fingerprint(tmp_path / "out") == before


def test_a_missing_theme_stops_the_build_before_any_edition(
    published: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source = tmp_path / "src"
    shutil.copytree(published[0], source)
    (source / "conf.py").write_text(CONF + "html_theme = 'no_such_theme'\n")
    result = triptych("build", source, "-o", tmp_path / "out")
    assert result.returncode == 2
    assert result.stdout == ""  # no edition was begun
    assert result.stderr == (
        f"{source / 'conf.py'}:4: error: Configuration error: html_theme = 'no_such_theme': "
        "no such theme is installed (pip install the package that provides it, or choose "
        "another)\n"
    )


@pytest.mark.parametrize(
    ("conf", "line"),
    [
        ('project = "Sound"\n\nextensions = [\n    "triptych",\n    "not_installed_ext",\n]\n', 5),
        # A name put together in conf.py: the line that sets the extensions.
        (
            'project = "Sound"\nmissing = "not_installed"\nextensions = ["triptych", missing + "_ext"]\n',
            3,
        ),
    ],
    ids=["named", "built"],
)
def test_a_missing_extension_is_one_line_at_its_line_of_conf_py(
    published: tuple[Path, dict[str, str]], tmp_path: Path, conf: str, line: int
) -> None:
    source = tmp_path / "src"
    shutil.copytree(published[0], source)
    (source / "conf.py").write_text(conf)
    result = triptych("build", source, "-o", tmp_path / "out")
    assert result.returncode == 2
    assert result.stdout == ""  # no edition was begun
    assert result.stderr == (
        f"{source / 'conf.py'}:{line}: error: Extension error: extension 'not_installed_ext' "
        "cannot be imported (No module named 'not_installed_ext'): install the package that "
        "provides it, or take it out of extensions\n"
    )


def test_a_missing_source_folder(tmp_path: Path) -> None:
    result = triptych("build", tmp_path / "nowhere", "-o", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr == f"{tmp_path / 'nowhere'}: error: no such source folder\n"
    assert not (tmp_path / "out").exists()


def pathological(tmp_path: Path, article: str | None) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(CONF)
    (source / "index.md").write_text("# Pathological\n\n```{toctree}\narticle\n```\n")
    if article is not None:
        (source / "article.md").write_text(article)
    return source


def long_article(megabytes: int) -> str:
    paragraph = "The treaty binds the allied forces to a joint command in peace and war.\n\n"
    return "# Long\n\n" + paragraph * (megabytes * 1024 * 1024 // len(paragraph))


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ([], "over the limit of 8,388,608 bytes (triptych_max_article_mb)"),
        (
            ["triptych_max_article_mb=100", "triptych_max_build_seconds=6"],
            "the build took longer than 6 s (triptych_max_build_seconds)",
        ),
        (
            ["triptych_max_article_mb=100", "triptych_max_memory_mb=350"],
            "ran out of memory: the build may use 350 MB (triptych_max_memory_mb)",
        ),
    ],
    ids=["size", "time", "memory"],
)
def test_a_huge_article_ends_within_the_limits(
    tmp_path: Path, limits: list[str], message: str
) -> None:
    source = pathological(tmp_path, long_article(12))
    defines = [arg for limit in limits for arg in ("-D", limit)]
    result = triptych("build", source, "-o", tmp_path / "out", "-f", "html", *defines)
    assert result.returncode == 2
    assert re.fullmatch(
        rf"{re.escape(str(source / 'article.md'))}(:1)?: error: .*{re.escape(message)}\n",
        result.stderr,
    ), result.stderr


def test_deep_nesting_is_a_clear_error(tmp_path: Path) -> None:
    depth = 1100
    lines = ["# Deep", ""]
    lines += [":" * (3 + depth - level) + "{note}" for level in range(depth)]
    lines += ["Innermost."]
    lines += [":" * (3 + depth - level) for level in reversed(range(depth))]
    source = pathological(tmp_path, "\n".join(lines) + "\n")
    result = triptych("build", source, "-o", tmp_path / "out", "-f", "html")
    assert result.returncode == 2
    assert result.stderr.startswith(f"{source / 'article.md'}: error: nested too deeply to read")


def test_an_article_that_never_ends_is_not_read(tmp_path: Path) -> None:
    source = pathological(tmp_path, None)
    os.mkfifo(source / "article.md")  # reading it would wait forever
    result = triptych("build", source, "-o", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.endswith("article.md: it is not a regular file\n"), result.stderr


def test_a_character_no_font_has_is_located_at_its_line(tmp_path: Path) -> None:
    # Thai SARA AM is laid out as two characters, each named on its own by WeasyPrint.
    source = tmp_path / "glyphs"
    source.mkdir()
    (source / "index.md").write_text("# Glyphs\n\nPlain words.\n\nA syllable: กำ.\n")
    result = triptych("build", source, "-o", tmp_path / "out", "-f", "pdf")
    glyph_lines = [line for line in result.stderr.splitlines() if "unsupported by fonts" in line]
    assert glyph_lines
    for line in glyph_lines:
        assert line.startswith(f"{source / 'index.md'}:5: WARNING: "), line


def test_a_character_no_font_has_in_an_included_file_is_located_there(tmp_path: Path) -> None:
    """A changelog kept apart and included in a page: its emoji were warned of at no line."""
    source = tmp_path / "included"
    (source / "_parts").mkdir(parents=True)
    (source / "conf.py").write_text('extensions = ["triptych"]\nexclude_patterns = ["_parts"]\n')
    (source / "index.md").write_text("# News\n\n```{include} _parts/changes.md\n```\n")
    (source / "_parts" / "changes.md").write_text("## Changes\n\nA rocket \U0001f680 flew.\n")
    result = triptych("build", source, "-o", tmp_path / "out", "-f", "pdf")
    glyph_lines = [line for line in result.stderr.splitlines() if "unsupported by fonts" in line]
    assert glyph_lines
    for line in glyph_lines:
        assert line.startswith(f"{source / '_parts' / 'changes.md'}:3: WARNING: "), line


def test_an_extension_that_fails_while_writing_is_named_at_the_line_it_failed_on(
    published: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """An extension's visitor that raises: one line, at the directive it was writing, naming
    the extension; the published editions are left as they were."""
    sound, before = published
    source = tmp_path / "src"
    shutil.copytree(sound, source)
    shutil.copytree(sound.parent / "out", tmp_path / "out")
    (source / "boxes.py").write_text(
        "from docutils import nodes\nfrom sphinx.util.docutils import SphinxDirective\n\n"
        "class box(nodes.General, nodes.Element):\n    pass\n\n"
        "def visit_box(translator, node):\n    translator.body.append(node['colour'])\n\n"
        "class Box(SphinxDirective):\n    def run(self):\n        return [box()]\n\n"
        "def setup(app):\n    app.add_node(box, html=(visit_box, lambda translator, node: None))\n"
        "    app.add_directive('box', Box)\n"
        "    return {'parallel_read_safe': True, 'parallel_write_safe': True}\n"
    )
    (source / "conf.py").write_text(
        "import os, sys\nsys.path.insert(0, os.path.dirname(__file__))\n"
        + CONF.replace('["triptych"]', '["triptych", "boxes"]')
    )
    article = source / "first.md"
    lines = article.read_text().count("\n")
    article.write_text(article.read_text() + "\n```{box}\n```\n")
    result = triptych("build", source, "-o", tmp_path / "out", "-q")
    assert result.returncode != 0
    assert result.stderr == (
        f"{article}:{lines + 2}: error: unexpected KeyError: 'colour' in the extension boxes "
        "(run with --traceback for details)\n"
    )
    assert fingerprint(tmp_path / "out") == before


def test_an_error_in_the_projects_setup_is_located_at_its_line(
    published: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """conf.py's setup() importing a module that is not installed: one line at conf.py's line,
    not at the project's folder; the published editions are left as they were."""
    sound, before = published
    source = tmp_path / "src"
    shutil.copytree(sound, source)
    shutil.copytree(sound.parent / "out", tmp_path / "out")
    conf = source / "conf.py"
    lines = conf.read_text().count("\n")
    conf.write_text(conf.read_text() + "\n\ndef setup(app):\n    import not_installed_here\n")
    result = triptych("build", source, "-o", tmp_path / "out", "-q")
    assert result.returncode != 0
    assert result.stderr == (
        f"{conf}:{lines + 4}: error: unexpected ModuleNotFoundError: No module named "
        "'not_installed_here' (run with --traceback for details)\n"
    )
    assert fingerprint(tmp_path / "out") == before
