"""A build that fails publishes nothing: the editions built before stay exactly as they were."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from outputs import fingerprint, triptych_build
from triptych import cli
from triptych.run import publish

if TYPE_CHECKING:
    from pathlib import Path


def test_a_failed_build_leaves_the_published_editions_intact(rootdir: Path, tmp_path: Path) -> None:
    out = triptych_build(rootdir / "test-basic", tmp_path)
    before = fingerprint(out)
    assert {"pdf/basic-test-book.pdf", "epub/basic-test-book.epub", "html/index.html"} <= set(
        before
    )

    article = tmp_path / "src" / "second.md"
    article.write_text(article.read_text() + "\nA {term}`term nobody defined`.\n")
    build = ["build", str(tmp_path / "src"), "-o", str(out), "-W", "-q"]
    assert cli.main(build) != 0
    assert fingerprint(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["doctrees", "epub", "html", "pdf"]

    # Mended, the next build publishes all three again.
    article.write_text(article.read_text().replace("{term}`term nobody defined`", "term"))
    assert cli.main(build) == 0
    assert set(fingerprint(out)) == set(before)


def test_an_interrupted_swap_is_put_back(rootdir: Path, tmp_path: Path) -> None:
    out = triptych_build(rootdir / "test-basic", tmp_path)
    before = fingerprint(out)
    # A build killed between the two renames of the PDF's swap: the journal says so, the
    # PDF is set aside, and the others are not reached yet.
    (out / publish.JOURNAL).write_text(
        json.dumps({"editions": ["pdf", "epub", "html"], "first": [], "complete": False})
    )
    (out / "pdf").rename(out / ".pdf.previous")
    article = tmp_path / "src" / "second.md"
    article.write_text(article.read_text() + "\nA {term}`term nobody defined`.\n")
    assert cli.main(["build", str(tmp_path / "src"), "-o", str(out), "-W", "-q"]) != 0
    assert fingerprint(out) == before


def test_problems_are_reported_again_until_mended(rootdir: Path, tmp_path: Path) -> None:
    """Sphinx reports a reading problem once; triptych reads that document again next time."""
    out = triptych_build(rootdir / "test-basic", tmp_path)
    article = tmp_path / "src" / "second.md"
    article.write_text(article.read_text() + "\n```{sidebox}\nText.\n```\n")
    build = ["build", str(tmp_path / "src"), "-o", str(out), "-q"]
    assert cli.main(build) == 0  # a warning, without -W
    # Nothing changed since, yet the warning is there again, and -W fails on it.
    assert cli.main([*build, "-W"]) == 1
    assert cli.main([*build, "-W"]) == 1
    article.write_text(article.read_text().replace("{sidebox}", "{note}"))
    assert cli.main([*build, "-W"]) == 0


def test_problems_in_included_files_are_reported_again(rootdir: Path, tmp_path: Path) -> None:
    out = triptych_build(rootdir / "test-basic", tmp_path)
    source = tmp_path / "src"
    (tmp_path / "outside.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (source / "part.txt").write_text("![Outside](../outside.svg)\n")
    article = source / "second.md"
    article.write_text(article.read_text() + "\n```{include} part.txt\n```\n")
    build = ["build", str(source), "-o", str(out), "-q"]
    assert cli.main(build) == 1  # refused: an error, even without -W
    assert cli.main(build) == 1  # nothing changed, and the error is reported again
