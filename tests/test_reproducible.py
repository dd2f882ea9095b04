"""With SOURCE_DATE_EPOCH set, every edition comes out byte for byte the same."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def build(source: Path, out: Path, tz: str, seed: str) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", "TZ": tz, "PYTHONHASHSEED": seed}
    command = [
        sys.executable,
        "-m",
        "triptych.cli",
        "build",
        str(source),
        "-o",
        str(out),
        "-W",
        "-q",
    ]
    subprocess.run(command, check=True, env=env, capture_output=True, timeout=600)


def files(out: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(out)): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and "doctrees" not in path.relative_to(out).parts
    }


def test_other_clock_timezone_hash_seed_and_folder_give_the_same_bytes(
    rootdir: Path, tmp_path: Path
) -> None:
    source = rootdir / "test-glossary"
    build(source, tmp_path / "first", "UTC", "1")
    time.sleep(1)  # another wall clock
    build(source, tmp_path / "elsewhere" / "second", "Asia/Tokyo", "4242")
    first, second = files(tmp_path / "first"), files(tmp_path / "elsewhere" / "second")
    assert sorted(first) == sorted(second)
    assert {"pdf/glossary-test.pdf", "epub/glossary-test.epub", "html/glossary.html"} <= set(first)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []
