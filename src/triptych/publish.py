"""Publishing editions atomically: build aside, audit, then swap into place.

A build that fails, or whose edition does not pass its audit, leaves the
previously published edition exactly as it was.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from triptych.audit import audit_epub, audit_html, audit_pdf

if TYPE_CHECKING:
    from pathlib import Path

STAGING = ".staging"


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


def recover(output: Path, editions: list[str]) -> None:
    """Put back an edition whose swap was interrupted between its two renames."""
    for edition in editions:
        target = output / edition
        if not target.exists() and previous_folder(target).is_dir():
            previous_folder(target).rename(target)


def discard_staging(output: Path) -> None:
    """Remove what a build left aside: an edition that failed is never published."""
    shutil.rmtree(output / STAGING, ignore_errors=True)


def publish(staged: Path, target: Path) -> None:
    """Swap *staged* into *target*'s place; the old edition is removed only once replaced."""
    previous = previous_folder(target)
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.rename(previous)
    staged.rename(target)
    shutil.rmtree(previous, ignore_errors=True)
