"""Publishing editions together: built aside, audited, then swapped into place as one.

A build that fails, or whose edition does not pass its audit, leaves the
previously published editions exactly as they were. The swap itself is
journalled: a build killed half-way through it is rolled back by the next
build (or forward, once every new edition was in place), so the editions a
reader finds are always from one build.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import TYPE_CHECKING

from triptych.checks.audit import audit_epub, audit_html, audit_pdf

if TYPE_CHECKING:
    from pathlib import Path

STAGING = ".staging"
#: The swap in progress: which editions, and whether every new one is in place.
JOURNAL = ".publishing.json"


def staging_folder(output: Path, edition: str) -> Path:
    """An empty folder beside the published editions (same file system, so a rename swaps)."""
    folder = output / STAGING / edition
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def broken_links(edition: str, folder: Path) -> list[str]:
    """The audit an edition must pass before it is published: no broken internal link."""
    if edition == "html":
        return audit_html(folder).broken
    audit = audit_pdf if edition == "pdf" else audit_epub
    suffix = ".pdf" if edition == "pdf" else ".epub"
    return [problem for path in sorted(folder.glob("*" + suffix)) for problem in audit(path).broken]


def previous_folder(target: Path) -> Path:
    return target.with_name(f".{target.name}.previous")


def _write_journal(output: Path, editions: list[str], first: list[str], complete: bool) -> None:
    """Replace the journal in one rename, so it is always whole.

    *first* are the editions published for the first time: with no old one to
    put back, rolling back removes whatever of theirs got in.
    """
    temporary = output / (JOURNAL + ".new")
    state = {"editions": editions, "first": first, "complete": complete}
    temporary.write_text(json.dumps(state))
    with temporary.open("rb") as stream:
        os.fsync(stream.fileno())
    temporary.replace(output / JOURNAL)


def recover(output: Path) -> None:
    """Finish what a swap cut off left: back to the old editions, or on to the new ones."""
    journal = output / JOURNAL
    if not journal.is_file():
        return
    try:
        state = json.loads(journal.read_text())
        editions, complete = list(state["editions"]), bool(state["complete"])
        first = set(state["first"])
    except (ValueError, KeyError, TypeError):
        editions, first, complete = [], set(), False
    for edition in editions:
        target, previous = output / edition, previous_folder(output / edition)
        if complete:
            shutil.rmtree(previous, ignore_errors=True)
        elif previous.is_dir() or edition in first:
            # The new edition, if it got in, goes: its partners may not have.
            _remove(target)
            if previous.is_dir():
                previous.rename(target)
        # Otherwise the swap had not reached this edition: the old one is still in place.
    journal.unlink()


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def discard_staging(output: Path) -> None:
    """Remove what a build left aside: an edition that failed is never published."""
    shutil.rmtree(output / STAGING, ignore_errors=True)


def publish_together(output: Path, staged: list[tuple[Path, str]]) -> None:
    """Swap every staged edition into place; the old ones go only once all new ones are in."""
    editions = [edition for _folder, edition in staged]
    for edition in editions:
        shutil.rmtree(previous_folder(output / edition), ignore_errors=True)
    first = [e for e in editions if not ((output / e).exists() or (output / e).is_symlink())]
    _write_journal(output, editions, first, complete=False)
    for folder, edition in staged:
        target = output / edition
        if target.exists() or target.is_symlink():
            target.rename(previous_folder(target))
        folder.rename(target)
    _write_journal(output, editions, first, complete=True)
    for edition in editions:
        shutil.rmtree(previous_folder(output / edition), ignore_errors=True)
    (output / JOURNAL).unlink()
