"""The ``triptych`` command and ``sphinx-build`` with triptych's builders, run as a user runs them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from outputs import Epub, check_html_links, pdf_broken_links, pdf_outline

BIN = Path(sys.executable).parent


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=600,
    )


def test_help_explains_every_option() -> None:
    top = run(BIN / "triptych", "--help")
    assert top.returncode == 0
    assert "build" in top.stdout
    build = run(BIN / "triptych", "build", "--help")
    assert build.returncode == 0
    for option in ("-o OUTDIR", "-f LIST", "-W", "-j N", "-E", "-D NAME=VALUE", "-q"):
        assert option in build.stdout


def test_folder_without_conf(rootdir: Path, tmp_path: Path) -> None:
    source = tmp_path / "field-notes"
    shutil.copytree(rootdir / "test-noconf", source)
    result = run(BIN / "triptych", "build", source, "-o", tmp_path / "out", "-W")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    # One summary line per edition, in build order.
    summary = [line.split()[0] for line in result.stdout.splitlines()[-3:]]
    assert summary == ["pdf", "epub", "html"]

    epub = Epub.open(tmp_path / "out" / "epub" / "field-notes.epub")
    assert epub.metadata("title") == ["Field notes"]
    # Without an index page, the first article is a chapter like the others.
    assert [title for title, _, depth in epub.nav_toc() if depth == 1] == [
        "First notes",
        "Second notes",
        "Third notes",
    ]
    assert epub.spine[3:] == ["EPUB/a-first.xhtml", "EPUB/b-second.xhtml", "EPUB/c-third.xhtml"]
    assert epub.check_links().broken == []

    reader = PdfReader(tmp_path / "out" / "pdf" / "field-notes.pdf")
    # Without an index page, the first article is a chapter like the others.
    assert [(t, d) for t, d, _ in pdf_outline(reader)] == [
        ("First notes", 1),
        ("Details", 2),
        ("Second notes", 1),
        ("Third notes", 1),
    ]
    assert pdf_broken_links(reader).broken == []
    assert check_html_links(tmp_path / "out" / "html").broken == []
    # The source folder is left as it was.
    assert sorted(p.name for p in source.iterdir()) == ["a-first.md", "b-second.md", "c-third.md"]


@pytest.mark.parametrize(
    ("root", "line", "message"),
    [
        ("test-bad-term", 5, "term not in glossary: 'undefined thing'"),
        ("test-bad-ref", 5, "undefined label: 'no-such-label'"),
        ("test-bad-image", 5, "image file not readable: figures/missing.svg"),
        (
            "test-foreign-image",
            5,
            "refused to read file:///etc/hostname: only files of the source folder",
        ),
        ("test-bad-utf8", 5, "error: unreadable source: bytes that are not utf-8"),
        ("test-bad-fence", 5, "``` opened here is never closed"),
    ],
)
def test_bad_input_is_one_clear_line(
    rootdir: Path, tmp_path: Path, root: str, line: int, message: str
) -> None:
    source = tmp_path / root
    shutil.copytree(rootdir / root, source)
    result = run(BIN / "triptych", "build", source, "-o", tmp_path / "out", "-W", "-q")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert re.search(
        rf"^{re.escape(str(source / 'index.md'))}:{line}: .*{re.escape(message)}",
        result.stderr,
        re.MULTILINE,
    ), result.stderr


def test_missing_source_folder(tmp_path: Path) -> None:
    result = run(BIN / "triptych", "build", tmp_path / "nowhere", "-o", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.strip() == f"{tmp_path / 'nowhere'}: error: no such source folder"


def test_unknown_edition_is_refused(tmp_path: Path) -> None:
    result = run(BIN / "triptych", "build", tmp_path, "-f", "html,docx")
    assert result.returncode == 2
    assert "unknown edition 'docx'" in result.stderr


@pytest.mark.parametrize(
    ("builder", "outputs"),
    [("pdf", ["articles", "entry-point.pdf"]), ("ebook", ["entry-point.epub"])],
)
def test_sphinx_build_finds_the_builders(
    rootdir: Path, tmp_path: Path, builder: str, outputs: list[str]
) -> None:
    source = tmp_path / "src"
    shutil.copytree(rootdir / "test-entrypoint", source)
    out = tmp_path / builder
    result = run(BIN / "sphinx-build", "-W", "-b", builder, source, out)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == outputs
