"""The PDF renderer's URL fetcher, confined to the build.

WeasyPrint's default fetcher reads any local file and follows HTTP. triptych's
fetcher serves ``data:`` URLs and regular files whose real path (symlinks
resolved) lies inside the allowed folders, up to a size cap; anything else is
refused, and the refusal fails the build. Imported only when a PDF is made,
so the other editions do not load WeasyPrint.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import URLFetcher
from weasyprint.urls import URLFetcherResponse

from triptych.safety.paths import (
    MAX_FETCH_BYTES,
    RefusedFetchError,
    file_refusal,
    is_remote,
    remote_refusal,
)


class ConfinedURLFetcher(URLFetcher):  # type: ignore[misc]
    def __init__(
        self,
        roots: tuple[Path, ...],
        max_bytes: int = MAX_FETCH_BYTES,
        allowed_hosts: tuple[str, ...] = (),
    ) -> None:
        protocols = ("data", "file", "http", "https") if allowed_hosts else ("data", "file")
        super().__init__(allowed_protocols=protocols, allow_redirects=False, timeout=5)
        self.roots = tuple(root.resolve() for root in roots)
        self.max_bytes = max_bytes
        self.allowed_hosts = allowed_hosts

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if is_remote(url):
            if refusal := remote_refusal(url, self.allowed_hosts):
                raise RefusedFetchError(refusal)
            return super().fetch(url, headers)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedFetchError(
                f"refused to fetch {url}: only local files of the build are read"
            )
        path = Path(unquote(parts.path))
        if refusal := file_refusal(path, self.roots, self.max_bytes):
            raise RefusedFetchError(refusal)
        path = path.resolve()
        if not path.is_file():
            raise RefusedFetchError(f"cannot read {path}: no such file")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )
