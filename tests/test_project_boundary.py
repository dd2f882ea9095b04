"""The trust boundary is the project: its repository, or the source folder when there is none."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from triptych.safety.paths import project_root

if TYPE_CHECKING:
    from pathlib import Path

CONF = 'project = "Docs"\nextensions = ["triptych"]\n'


def repository(tmp_path: Path, conf: str = CONF) -> Path:
    """tmp/repo (a git repository) with a README and docs/ that includes it; a secret beside."""
    (tmp_path / "secret.txt").write_text("The secret beside the repository.\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "README.md").write_text("The README of the repository says hello.\n")
    docs = repo / "docs"
    docs.mkdir()
    (docs / "conf.py").write_text(conf)
    (docs / "index.md").write_text("# Docs\n\n```{include} ../README.md\n```\n")
    return docs


def build(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "triptych.cli", "build", str(source), "-o", str(out), "-q", "-W"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_docs_include_files_from_their_repository(tmp_path: Path) -> None:
    docs = repository(tmp_path)
    result = build(docs, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "says hello" in (tmp_path / "out" / "html" / "index.html").read_text()


@pytest.mark.parametrize(
    "conf",
    [CONF, CONF + 'triptych_project_root = "../.."\n'],
    ids=["the repository", "a root wider than the repository"],
)
def test_files_beside_the_repository_are_refused(tmp_path: Path, conf: str) -> None:
    docs = repository(tmp_path, conf)
    (docs / "index.md").write_text("# Docs\n\n```{include} ../../secret.txt\n```\n")
    result = build(docs, tmp_path / "out")
    assert result.returncode != 0
    line = f"{docs / 'index.md'}:3: ERROR: refused to read {tmp_path / 'secret.txt'}"
    assert line in result.stderr, result.stderr
    assert f"outside the project {docs.parent}" in result.stderr
    assert "triptych_project_root" in result.stderr
    assert not (tmp_path / "out" / "html").exists()


def test_a_configured_root_narrows_the_project(tmp_path: Path) -> None:
    docs = repository(tmp_path, CONF + 'triptych_project_root = "."\n')
    result = build(docs, tmp_path / "out")
    assert result.returncode != 0
    assert f"refused to read {docs.parent / 'README.md'}" in result.stderr
    assert f"outside the project {docs}" in result.stderr


def test_without_a_repository_the_project_is_the_source(tmp_path: Path) -> None:
    source = tmp_path / "a" / "b"
    source.mkdir(parents=True)
    assert project_root(source) == source.resolve()
    (tmp_path / "a" / "pyproject.toml").write_text("[project]\nname = 'a'\n")
    assert project_root(source) == (tmp_path / "a").resolve()
    assert project_root(source, "/") == (tmp_path / "a").resolve()


def test_a_remote_image_becomes_a_link_to_it(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(CONF)
    (source / "index.md").write_text(
        "# Docs\n\nThe badge: ![build status](https://ci.example.org/badge.svg) above.\n\n"
        "```{figure} https://example.org/map.png\n:alt: A map of the border\n\nThe border.\n```\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "triptych.cli", "build", str(source), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for line in (3, 5):
        assert f"{source / 'index.md'}:{line}: WARNING: refused to fetch" in result.stderr
    assert "[triptych.remote_image]" in result.stderr
    from lxml import html

    page = html.parse(str(tmp_path / "out" / "html" / "index.html"))
    links = {a.text_content(): a.get("href") for a in page.iter("a")}
    assert links["build status"] == "https://ci.example.org/badge.svg"
    assert links["A map of the border"] == "https://example.org/map.png"
    assert not page.xpath("//img[contains(@src, 'example.org')]")
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(tmp_path / "out/pdf/docs.pdf").pages)
    assert "build status" in text
    assert "A map of the border" in text
