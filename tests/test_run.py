"""Running a build: the watchdog, the memory bound, publishing together, and staging."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from outputs import fingerprint, triptych_build
from triptych import cli
from triptych.run import limits, publish
from triptych.run.limits import Watchdog, over_bound, resident_bytes

if TYPE_CHECKING:
    from collections.abc import Iterator

CONF = 'project = "Run"\nextensions = ["triptych"]\n'


def write_publication(source: Path, articles: dict[str, str], conf: str = CONF) -> Path:
    source.mkdir(parents=True)
    (source / "conf.py").write_text(conf)
    toctree = "\n".join(name for name in articles if name != "index")
    index = articles.get("index", "# Run\n\nText.\n")
    (source / "index.md").write_text(f"{index}\n```{{toctree}}\n{toctree}\n```\n")
    for name, text in articles.items():
        if name != "index":
            (source / f"{name}.md").write_text(text)
    return source


def test_a_build_stuck_past_its_time_is_ended(tmp_path: Path) -> None:
    """The watchdog ends a build that ignores its signal, and does not end itself first."""
    paragraph = "The joint command plans exercises on both sides of the border. " * 40
    articles = {f"part{n:03d}": f"# Part {n}\n\n" + f"{paragraph}\n\n" * 12 for n in range(120)}
    source = write_publication(tmp_path / "src", articles)
    # The build blocks the signal the watchdog sends first, as native code busy in a
    # long layout would ignore it.
    program = (
        "import signal, sys\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})\n"
        "from triptych.cli import main\n"
        "sys.argv = ['triptych', 'build', sys.argv[1], '-o', sys.argv[2], '-q',\n"
        "            '-D', 'triptych_max_build_seconds=1']\n"
        "raise SystemExit(main())\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", program, str(source), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == -signal.SIGKILL, (result.returncode, result.stderr[-2000:])
    assert "the build took longer than 1 s (triptych_max_build_seconds)" in result.stderr
    assert elapsed < 60
    assert not (tmp_path / "out" / "html").exists()


@contextmanager
def a_waiting_fork() -> Iterator[int]:
    """A child of this process that only waits, sharing every page: its pid."""
    child = os.fork()
    if child == 0:  # pragma: no cover - the child only waits
        time.sleep(30)
        os._exit(0)
    try:
        time.sleep(0.2)
        yield child
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def test_the_memory_bound_counts_shared_pages_once() -> None:
    """A fork shares its parent's pages: counting both in full would double them."""
    ballast = bytearray(os.urandom(256 * 1024 * 1024))
    alone = resident_bytes(os.getpid())
    with a_waiting_fork() as child:
        with_fork = resident_bytes(os.getpid())
        without_fork = resident_bytes(os.getpid(), besides=frozenset({child}))
    assert len(ballast) == 256 * 1024 * 1024 < alone
    assert with_fork < alone * 1.25, (alone, with_fork)
    assert without_fork < with_fork


def test_the_bound_is_passed_by_proportional_memory_not_resident_sizes() -> None:
    """Two processes sharing 256 MiB hold 256 MiB, though each is resident with all of it."""
    ballast = bytearray(os.urandom(256 * 1024 * 1024))
    alone = resident_bytes(os.getpid())
    with a_waiting_fork():
        assert not over_bound(os.getpid(), alone * 1.5)
        assert over_bound(os.getpid(), alone * 0.5)
    assert len(ballast) == 256 * 1024 * 1024


def test_the_watchdog_of_a_large_build_costs_little(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Watching a large build must not take a core from it, as a proportional size read at
    every sample did: that read walks every page table of the build. The watchdog reads the
    resident sizes, which cost nothing, and the proportional ones only past the bound."""
    walks: list[int | str] = []

    def walking(pid: int | str) -> int:
        walks.append(pid)
        return 0

    monkeypatch.setattr(limits, "_proportional_bytes", walking)
    with a_waiting_fork() as worker:
        # The process's tree: the fork, and whatever earlier tests left running.
        tree = limits._tree(os.getpid(), frozenset())
        alone = sum(limits._resident_size(process) for process in tree)
        for _sample in range(50):
            assert not over_bound(os.getpid(), alone * 4)
        assert walks == []
        assert not over_bound(os.getpid(), alone * 0.5)
        # Past the bound, the proportional sizes are read: the build's and its worker's.
        assert {os.getpid(), worker} <= set(walks), walks

    config = type("Config", (), {"triptych_max_build_seconds": 600, "triptych_max_memory_mb": 4096})
    watchdog = Watchdog(config(), time.monotonic(), str(tmp_path), hard_exit=False)  # type: ignore[arg-type]
    watchdog.start()
    time.sleep(1)
    assert os.waitpid(watchdog.pid, os.WNOHANG) == (0, 0), "the watchdog stopped by itself"
    watchdog.stop()
    assert watchdog.pid == 0


def published_editions(output: Path, label: str) -> None:
    for edition in ("pdf", "epub", "html"):
        (output / edition).mkdir(parents=True)
        (output / edition / "book").write_text(f"{label} {edition}")


def staged_editions(output: Path, label: str) -> list[tuple[Path, str]]:
    staged = []
    for edition in ("pdf", "epub", "html"):
        folder = output / publish.STAGING / edition
        folder.mkdir(parents=True)
        (folder / "book").write_text(f"{label} {edition}")
        staged.append((folder, edition))
    return staged


def labels(output: Path) -> set[str]:
    return {
        (output / edition / "book").read_text().split()[0]
        for edition in ("pdf", "epub", "html")
        if (output / edition / "book").is_file()
    }


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs."""


@pytest.mark.parametrize("old", [True, False], ids=["replacing", "first publication"])
def test_editions_are_published_together_whenever_the_swap_is_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: bool
) -> None:
    """Killed after any rename of the swap, the next build finds one build's editions."""
    moves_in_a_swap = 0
    original_rename = Path.rename  # on POSIX, as Path.replace: the target is overwritten

    def counting(self: Path, target: Path) -> Path:
        nonlocal moves_in_a_swap
        moves_in_a_swap += 1
        return original_rename(self, target)

    output = tmp_path / "count"
    if old:
        published_editions(output, "old")
    staged = staged_editions(output, "new")
    monkeypatch.setattr(Path, "rename", counting)
    monkeypatch.setattr(Path, "replace", counting)
    publish.publish_together(output, staged)
    monkeypatch.undo()
    assert labels(output) == {"new"}
    assert moves_in_a_swap >= 5

    for cut in range(moves_in_a_swap):
        output = tmp_path / f"cut-{cut}"
        if old:
            published_editions(output, "old")
        staged = staged_editions(output, "new")
        done = 0

        def dying(self: Path, target: Path, cut: int = cut) -> Path:
            nonlocal done
            if done == cut:
                raise Killed
            done += 1
            return original_rename(self, target)

        monkeypatch.setattr(Path, "rename", dying)
        monkeypatch.setattr(Path, "replace", dying)
        with pytest.raises(Killed):
            publish.publish_together(output, staged)
        monkeypatch.undo()
        publish.recover(output)
        found = labels(output)
        assert found in ({"old"} if old else set(), {"new"}) or found == set(), (cut, found)
        if found == {"new"}:
            assert all((output / e / "book").is_file() for e in ("pdf", "epub", "html"))
        elif old:
            assert found == {"old"}
            assert all((output / e / "book").is_file() for e in ("pdf", "epub", "html"))
        else:
            assert not any((output / e).exists() for e in ("pdf", "epub", "html")), cut
        assert not list(output.glob(".*.previous"))


def test_an_incremental_epub_after_a_deletion_equals_a_fresh_one(tmp_path: Path) -> None:
    """The accessibility metadata is that of the chapters in the book, not of those staged before."""
    figure = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'
    source = write_publication(
        tmp_path / "src",
        {
            "described": "# Described\n\n![A square](square.svg)\n",
            "undescribed": "# Undescribed\n\n![](square.svg)\n",
        },
    )
    (source / "square.svg").write_text(figure)
    out = tmp_path / "out"
    build = ["build", str(source), "-o", str(out), "-q", "-f", "epub"]
    assert cli.main(build) == 0  # a warning for the image without alt text, without -W
    (source / "undescribed.md").unlink()
    index = source / "index.md"
    index.write_text(index.read_text().replace("undescribed\n", ""))
    assert cli.main(build) == 0
    fresh = tmp_path / "fresh"
    assert cli.main(["build", str(source), "-o", str(fresh), "-q", "-f", "epub", "-E"]) == 0
    assert fingerprint(out)["epub/run.epub"] == fingerprint(fresh)["epub/run.epub"]


def test_a_preview_shows_the_definition_of_the_entry_linked(tmp_path: Path) -> None:
    """Terms with no Latin letters get the same id in each glossary (``term-0``)."""
    source = write_publication(
        tmp_path / "src",
        {
            "index": "# Run\n\nThe {term}`Ω` and the {term}`Σ` differ.\n",
            "greek": "# Greek\n\n```{glossary}\nΩ\n  The last letter, omega.\n```\n",
            "sums": "# Sums\n\n```{glossary}\nΣ\n  A sum, sigma.\n```\n",
        },
    )
    assert cli.main(["build", str(source), "-o", str(tmp_path / "out"), "-q", "-f", "html"]) == 0
    from lxml import html

    page = html.parse(str(tmp_path / "out" / "html" / "index.html"))
    previews = {
        link.get("href"): " ".join(
            page.xpath(f"string(//*[@id='{link.get('aria-describedby')}'])").split()
        )
        for link in page.xpath("//a[contains(@class, 'triptych-term')]")
    }
    assert previews["greek.html#term-0"] == "The last letter, omega."
    assert previews["sums.html#term-0"] == "A sum, sigma."


def test_a_root_with_two_top_level_sections_using_a_term(tmp_path: Path) -> None:
    source = write_publication(
        tmp_path / "src",
        {
            "index": (
                "# Run\n\nThe {term}`treaty` binds.\n\n"
                "# A second top-level section\n\nThe {term}`treaty` again.\n"
            ),
            "glossary": "# Glossary\n\n```{glossary}\ntreaty\n  An agreement.\n```\n",
        },
    )
    result = subprocess.run(
        [sys.executable, "-m", "triptych.cli", "build", str(source), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "No anchor" not in result.stderr
    assert (tmp_path / "out" / "pdf" / "run.pdf").is_file()


def test_the_staging_folder_is_gone_after_a_build(rootdir: Path, tmp_path: Path) -> None:
    out = triptych_build(rootdir / "test-basic", tmp_path)
    assert not (out / publish.STAGING).exists()
    assert not (out / publish.JOURNAL).exists()
    shutil.rmtree(out)
