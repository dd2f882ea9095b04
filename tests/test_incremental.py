"""Rebuilding: nothing changed publishes nothing; an edit rewrites what depends on it, as a cold build would."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.testing.util import SphinxTestApp

from conftest import ROOTS
from outputs import fingerprint
from triptych import cli

if TYPE_CHECKING:
    from docutils import nodes

DOCS = Path(__file__).parents[1] / "docs"
#: The PDF keeps its own layout cache, tested with it; the site and the EPUB are tested here.
EDITIONS = "html,epub"


def build(source: Path, out: Path, *options: str) -> None:
    arguments = ["build", str(source), "-o", str(out), "-W", "-q", "-f", EDITIONS, *options]
    assert cli.main(arguments) == 0


def published(out: Path) -> dict[str, tuple[int, int, str]]:
    """Every published file: its inode, its modification time and its bytes' digest."""
    digests = fingerprint(out)
    return {
        name: ((out / name).stat().st_ino, (out / name).stat().st_mtime_ns, digest)
        for name, digest in digests.items()
        if not name.startswith(".")
    }


def changed(
    before: dict[str, tuple[int, int, str]], after: dict[str, tuple[int, int, str]]
) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    copy = tmp_path / "docs"
    shutil.copytree(DOCS, copy, ignore=shutil.ignore_patterns("_build"))
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_unchanged_rebuild_publishes_nothing(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(source, out)
    before = published(out)
    assert any(name.startswith("epub/") for name in before)
    build(source, out)
    assert changed(before, published(out)) == set()


def test_a_touched_article_rewrites_nothing_published(source: Path, tmp_path: Path) -> None:
    """A file saved without a change goes through Sphinx, which writes the same bytes."""
    out = tmp_path / "out"
    build(source, out)
    before = published(out)
    article = source / "motives.md"
    article.write_bytes(article.read_bytes())
    build(source, out)
    assert changed(before, published(out)) == set()


def site_and_epub(out: Path) -> dict[str, str]:
    return {
        name: digest for name, digest in fingerprint(out).items() if not name.startswith("pdf/")
    }


def test_an_edit_rewrites_its_page_and_the_epub_as_a_cold_build_would(
    source: Path, tmp_path: Path
) -> None:
    """The PDF reads the edited article first: the EPUB and the site write it all the same."""
    out = tmp_path / "out"
    every_edition = ("-f", "pdf,epub,html")
    build(source, out, *every_edition)
    before = published(out)
    with (source / "motives.md").open("a", encoding="utf-8") as stream:
        stream.write("\nA sentence added to the last section.\n")
    build(source, out, *every_edition)
    rewritten = changed(before, published(out))
    assert "html/motives.html" in rewritten
    assert "epub/bound-by-arms.epub" in rewritten
    # Pages that show nothing of the article stay the files they were.
    for page in ("alliance", "coordination", "ripple-effects", "sources"):
        assert f"html/{page}.html" not in rewritten, rewritten
    assert "html/_static/triptych.css" not in rewritten

    cold = tmp_path / "cold"
    build(source, cold, *every_edition)
    assert site_and_epub(out) == site_and_epub(cold)


def test_a_changed_title_reaches_every_page_that_shows_it(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(source, out)
    before = published(out)
    text = (source / "coordination.md").read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("# "))
    edit(source / "coordination.md", title, title + " Today")
    build(source, out)
    rewritten = changed(before, published(out))
    assert "html/coordination.html" in rewritten
    # The contents are one file; the pages before and after it show its title.
    assert {"html/_static/triptych-navigation.js", "html/alliance.html", "html/motives.html"} <= (
        rewritten
    )
    # A page that shows the title nowhere is left as it was.
    assert "html/ripple-effects.html" not in rewritten
    assert "html/sources.html" not in rewritten
    cold = tmp_path / "cold"
    build(source, cold)
    assert fingerprint(out) == fingerprint(cold)


def test_a_removed_article_leaves_nothing_behind(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(source, out)
    (source / "extra.md").write_text("# Extra\n\nA page outside the contents.\n")
    edit(source / "index.md", "\nalliance\ncoordination\n", "\nalliance\nextra\ncoordination\n")
    build(source, out)
    assert (out / "html" / "extra.html").is_file()
    (source / "extra.md").unlink()
    edit(source / "index.md", "\nextra\n", "\n")
    build(source, out)
    cold = tmp_path / "cold"
    build(source, cold)
    assert fingerprint(out) == fingerprint(cold)


def test_a_rebuild_shows_the_warnings_again(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A build that showed warnings is no reason to do nothing: the next shows them again."""
    with (source / "motives.md").open("a", encoding="utf-8") as stream:
        stream.write("\nSee {ref}`no-such-section`.\n")
    out = tmp_path / "out"
    for _ in range(2):
        assert cli.main(["build", str(source), "-o", str(out), "-q", "-f", EDITIONS]) == 0
        shown = capsys.readouterr().err
        assert "motives.md:" in shown and "no-such-section" in shown, shown


def test_a_changed_setting_rewrites_the_site_as_a_cold_build_would(
    source: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    build(source, out)
    before = published(out)
    setting = ("-D", "html_title=Bound by Arms, revised")
    build(source, out, *setting)
    rewritten = changed(before, published(out))
    assert {"html/alliance.html", "html/sources.html"} <= rewritten
    cold = tmp_path / "cold"
    build(source, cold, *setting)
    assert fingerprint(out) == fingerprint(cold)


def documents_written(
    monkeypatch: pytest.MonkeyPatch, builder_class: type[StandaloneHTMLBuilder]
) -> list[str]:
    """The documents *builder_class* writes from now on, in order."""
    written: list[str] = []
    real = builder_class.write_doc

    def noted(builder: StandaloneHTMLBuilder, docname: str, doctree: nodes.document) -> None:
        written.append(docname)
        real(builder, docname, doctree)

    monkeypatch.setattr(builder_class, "write_doc", noted)
    return written


def test_an_edit_writes_again_only_its_page_though_others_are_numbered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages with numbered figures, equations and listings are not written again for an
    edit elsewhere: what each page was written from includes its numbers once given."""
    srcdir = tmp_path / "book"
    shutil.copytree(ROOTS / "test-kitchen-sink", srcdir)
    written = documents_written(monkeypatch, StandaloneHTMLBuilder)
    for step in ("cold", "edit"):
        if step == "edit":
            written.clear()
            edit(srcdir / "blocks.md", "# Blocks", "# Blocks\n\nA sentence added.")
        app = SphinxTestApp("html", srcdir=srcdir, status=StringIO(), warning=StringIO())
        try:
            app.build()
        finally:
            app.cleanup()
        assert app.warning.getvalue() == ""
    assert set(app.env.toc_fignumbers) >= {"code", "math", "tables", "figures"}
    # Sphinx itself writes again the root, whose contents list the page it read again.
    assert "blocks" in written
    assert set(written) <= {"blocks", "index"}


def test_an_edition_built_alone_after_an_edit_writes_only_the_edited_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The EPUB reads the sources when built alone, and not after the PDF: that is no
    reason to write every chapter again."""
    from triptych.builders.ebook import EbookBuilder

    srcdir, out = tmp_path / "book", tmp_path / "out"
    shutil.copytree(ROOTS / "test-kitchen-sink", srcdir)
    written = documents_written(monkeypatch, EbookBuilder)
    assert cli.main(["build", str(srcdir), "-o", str(out), "-q", "-f", "pdf,epub"]) == 0
    assert len(written) > 2
    written.clear()
    edit(srcdir / "code.md", "# Code", "# Code\n\nA sentence added.")
    assert cli.main(["build", str(srcdir), "-o", str(out), "-q", "-f", "epub"]) == 0
    # Sphinx itself writes again the root, whose contents list the page it read again.
    assert "code" in written
    assert set(written) <= {"code", "index"}
