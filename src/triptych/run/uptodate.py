"""A build with nothing to do: the sources, settings and code of the last clean build, its editions untouched.

Starting Sphinx three times and loading the saved environment is most of
what a rebuild of an unchanged publication costs, only to write nothing. So
a build that published cleanly (no warning, which a later build would have
to show again) notes what it was built from and what it published; the next
build with the same inputs, whose published files are still those, stops
there and reports the same editions.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triptych.editions import EditionSummary, write_atomically

if TYPE_CHECKING:
    from collections.abc import Iterable

#: Beside the doctrees: what the last clean build was built from and published.
RECORD = "triptych-up-to-date.json"
#: The distributions whose versions decide what the editions hold.
DISTRIBUTIONS = (
    "sphinx",
    "docutils",
    "myst-parser",
    "weasyprint",
    "pydyf",
    "ebooklib",
    "furo",
    "sphinxcontrib-bibtex",
    "pygments",
)


def _tree(folder: Path, skip: Iterable[Path] = ()) -> list[tuple[str, int, int]]:
    """(path, size, modification time) of every file under *folder* but hidden ones."""
    skipped = {path.resolve() for path in skip}
    found = []
    for directory, subfolders, files in os.walk(folder):
        here = Path(directory)
        subfolders[:] = sorted(
            name
            for name in subfolders
            if not name.startswith(".")
            and name != "__pycache__"
            and (here / name).resolve() not in skipped
        )
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = here / name
            try:
                stat = path.stat()
            except OSError:
                continue
            found.append((path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
    return found


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


def inputs_digest(source: Path, output: Path, settings: dict[str, Any]) -> str:
    """What the editions are made from: the source folder, the settings, the code, the date."""
    import triptych

    described = {
        "source": _tree(source, skip=[output]),
        "settings": json.dumps(settings, sort_keys=True, default=repr),
        "code": _tree(Path(triptych.__file__).parent),
        "versions": [(name, _version(name)) for name in DISTRIBUTIONS],
        "date": os.environ.get("SOURCE_DATE_EPOCH"),
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def _published(output: Path, formats: Iterable[str]) -> list[tuple[str, int, int, int]]:
    return [
        (f"{edition}/{name}", size, mtime, (output / edition / name).stat().st_ino)
        for edition in formats
        for name, size, mtime in _tree(output / edition)
    ]


def unchanged(output: Path, digest: str, formats: Iterable[str]) -> tuple[EditionSummary, ...]:
    """The editions of the last build, if it was built from *digest* and they are as published."""
    formats = list(formats)
    try:
        record = json.loads((output / "doctrees" / RECORD).read_text(encoding="utf-8"))
        if record["inputs"] != digest or record["formats"] != formats:
            return ()
        published = [tuple(item) for item in record["published"]]
        summaries = tuple(
            EditionSummary(**{**fields, "path": Path(fields["path"])})
            for fields in record["summaries"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return ()
    if not all((output / edition).is_dir() for edition in formats):
        return ()
    if published != _published(output, formats):
        return ()
    return summaries


def remember(
    output: Path, digest: str, formats: Iterable[str], summaries: Iterable[EditionSummary]
) -> None:
    """Note what a clean build was built from and what it published."""
    formats = list(formats)
    record = {
        "inputs": digest,
        "formats": formats,
        "published": _published(output, formats),
        "summaries": [{**asdict(summary), "path": str(summary.path)} for summary in summaries],
    }
    write_atomically(output / "doctrees" / RECORD, json.dumps(record).encode())


def forget(output: Path) -> None:
    (output / "doctrees" / RECORD).unlink(missing_ok=True)
