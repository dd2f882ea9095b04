"""The PDF renderer's URL fetcher reads only data: URLs and files inside the allowed folders."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from triptych.safety.fetcher import ConfinedURLFetcher
from triptych.safety.paths import RefusedFetchError

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    inside, outside = tmp_path / "source", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    (inside / "image.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (outside / "secret.txt").write_text("not for the PDF")
    return inside, outside


def test_files_inside_and_data_urls_are_served(folders: tuple[Path, Path]) -> None:
    inside, _ = folders
    fetcher = ConfinedURLFetcher(roots=(inside,))
    response = fetcher.fetch((inside / "image.svg").as_uri())
    assert response.read().startswith(b"<svg")
    assert response.content_type == "image/svg+xml"
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "https://example.org/x.css",
        "ftp://example.org/x",
        "file://host/etc/hostname",
    ],
)
def test_network_and_remote_urls_are_refused(folders: tuple[Path, Path], url: str) -> None:
    fetcher = ConfinedURLFetcher(roots=(folders[0],))
    with pytest.raises((RefusedFetchError, ValueError)):
        fetcher.fetch(url)


def test_files_outside_and_symlinks_out_are_refused(folders: tuple[Path, Path]) -> None:
    inside, outside = folders
    (inside / "link.txt").symlink_to(outside / "secret.txt")
    fetcher = ConfinedURLFetcher(roots=(inside,))
    for url in ((outside / "secret.txt").as_uri(), (inside / "link.txt").as_uri(),
                (inside / ".." / "elsewhere" / "secret.txt").as_uri()):  # fmt: skip
        with pytest.raises(RefusedFetchError, match="outside the project"):
            fetcher.fetch(url)


def test_files_over_the_size_cap_are_refused(folders: tuple[Path, Path]) -> None:
    inside, _ = folders
    (inside / "big.png").write_bytes(b"\0" * 2048)
    fetcher = ConfinedURLFetcher(roots=(inside,), max_bytes=1024)
    with pytest.raises(RefusedFetchError, match="over the limit of 1,024 bytes"):
        fetcher.fetch((inside / "big.png").as_uri())
