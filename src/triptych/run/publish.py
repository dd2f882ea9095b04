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

if TYPE_CHECKING:
    from pathlib import Path

STAGING = ".staging"
#: Beside the doctrees: each edition's work folder.
WORK = "triptych-work"
#: In the staging folder: the PDF and the EPUB the site offers, linked from where they are.
OFFERED = "offered"
#: The swap in progress: which editions, and whether every new one is in place.
JOURNAL = ".publishing.json"


def staging_folder(output: Path, edition: str) -> Path:
    """An empty folder beside the published editions (same file system, so a rename swaps)."""
    folder = output / STAGING / edition
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def work_folder(output: Path, edition: str) -> Path:
    """Where *edition* is built, kept from one build to the next so that only changes are written.

    Nothing reads it but the next build: it is published by copying what
    changed into a staging folder (:func:`stage_changes`), never in place.
    """
    folder = output / "doctrees" / WORK / edition
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def forget_work(output: Path, edition: str | None = None) -> None:
    """Start *edition* (or every edition) afresh: its next build writes everything."""
    from triptych.builders import written

    root = output / "doctrees" / WORK
    shutil.rmtree(root / edition if edition else root, ignore_errors=True)
    if edition is None:
        written.forget(output / "doctrees")
    else:
        from triptych.run import BUILDERS

        for record in (output / "doctrees" / written.RECORDS_DIR).glob(f"{BUILDERS[edition]}.*"):
            record.unlink()


#: What Sphinx leaves in a work folder for itself: the settings of the build before a change.
NOT_PUBLISHED = frozenset({".buildinfo.bak"})


def _files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink() and path.name not in NOT_PUBLISHED
    }


def _same_bytes(first: Path, second: Path) -> bool:
    import filecmp

    return first.stat().st_size == second.stat().st_size and filecmp.cmp(
        first, second, shallow=False
    )


def stage_changes(work: Path, published: Path, staging: Path) -> bool:
    """Stage the edition built in *work*; whether it differs from the one *published*.

    A file with the bytes of the published one is that file, linked, so its
    date stays; only the others are copied. Linking is safe because a
    published file is never written to: a build writes its work folder, and
    publishing replaces whole folders.
    """
    new, old = _files(work), _files(published)
    changed = new.keys() != old.keys()
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, path in sorted(new.items()):
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        former = old.get(name)
        if former is not None and _same_bytes(path, former):
            try:
                os.link(former, target)
                continue
            except OSError:
                pass  # a file system without links: the copy below has the same bytes
        else:
            changed = True
        shutil.copy2(path, target)
    return changed


def broken_links(edition: str, folder: Path) -> list[str]:
    """The audit an edition must pass before it is published: no broken internal link."""
    from triptych.checks.audit import audit_epub, audit_html, audit_pdf

    if edition == "html":
        # Beside the work folder, never published: what this audit read of each page.
        return audit_html(folder, kept=folder.with_name(f"{folder.name}.audit.json")).broken
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
