"""What a build says of the editions it made, and how it writes their files: no Sphinx needed."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["EditionSummary", "human_size", "write_atomically"]


@dataclass(frozen=True)
class EditionSummary:
    """What one build produced, for the line printed at its end."""

    edition: str
    path: Path
    size: int
    count: int
    unit: str

    def line(self) -> str:
        unit = self.unit.removesuffix("s") if self.count == 1 else self.unit
        return f"{self.edition:<5} {self.path}  {human_size(self.size)}, {self.count} {unit}"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024 or unit == "MB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def write_atomically(target: Path, data: bytes) -> None:
    """Write *data* to *target* so that readers see the old file or the new one, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        Path(temp_name).chmod(0o644)
        Path(temp_name).replace(target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
