"""What content may reach while an edition is made: files inside the project, named hosts.

Articles may come from outside contributors. These checks are pure functions
of a path or URL and the build's limits; :mod:`triptych.safety.directives` applies them
to directives and images before anything is read, and the PDF renderer's URL
fetcher (:mod:`triptych.safety.fetcher`) applies them to whatever WeasyPrint asks for.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterable

#: Largest file the PDF renderer may read (images, fonts, stylesheets).
MAX_FETCH_BYTES = 32 * 1024 * 1024

#: URL schemes that name a resource on another machine.
REMOTE_SCHEMES = frozenset({"http", "https", "ftp", "ftps"})


#: Files that mark the top of a project: its repository, or its Python package.
PROJECT_MARKERS = (".git", ".hg", "pyproject.toml", "setup.py", "setup.cfg")


class RefusedFetchError(ValueError):
    """A resource outside what the build may read."""


def repository_root(source: Path) -> Path | None:
    """The nearest folder, from *source* upwards, that holds a project marker."""
    source = source.resolve()
    for folder in (source, *source.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return None


def project_root(source: Path, configured: str = "", confdir: Path | None = None) -> Path:
    """The folder content may read from: the repository the source lives in, or the source.

    ``conf.py`` and ``myst.yml`` mark the source, not the project, so docs can
    include the ``README.md`` or ``CHANGELOG.md`` beside them. A configured
    root (relative to the configuration's folder) may narrow that, never widen
    it past the repository.
    """
    repository = repository_root(source)
    if not configured:
        return repository or source.resolve()
    root = Path(confdir or source, configured).resolve()
    if repository is not None and not (root == repository or root.is_relative_to(repository)):
        return repository
    return root


def is_within(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def is_remote(uri: str) -> bool:
    """Whether *uri* would be fetched from another machine (``//host/x`` included)."""
    parts = urlsplit(uri)
    return parts.scheme.lower() in REMOTE_SCHEMES or (not parts.scheme and bool(parts.netloc))


def allowed_host_names(allowed_hosts: Iterable[object]) -> frozenset[str]:
    """The hosts ``triptych_allowed_hosts`` lists, as names compare: in lower case."""
    return frozenset(str(host).lower() for host in allowed_hosts)


def remote_refusal(uri: str, allowed_hosts: Iterable[str]) -> str | None:
    """Why *uri* may not be fetched, or None when its host is one the configuration allows."""
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in {"http", "https"}:
        return f"refused to fetch {uri}: only http and https URLs are fetched"
    if host and host in allowed_host_names(allowed_hosts):
        return None
    return (
        f"refused to fetch {uri}: builds make no network requests "
        f"(add {host or 'the host'!r} to triptych_allowed_hosts to allow it)"
    )


def file_refusal(path: Path, roots: tuple[Path, ...], max_bytes: int) -> str | None:
    """Why the file at *path* may not be read, or None.

    The real path counts (symlinks resolved), and only regular files are read:
    a named pipe or a device would never end. *roots* come first the project's.
    """
    real = path.resolve()
    if not is_within(real, tuple(root.resolve() for root in roots)):
        return (
            f"refused to read {real}: it lies outside the project {roots[0]} "
            "(triptych_project_root sets the project's folder)"
        )
    try:
        status = real.stat()
    except OSError:
        return None  # a missing file is reported where it is used, as Sphinx does
    if not stat.S_ISREG(status.st_mode):
        return f"refused to read {path}: it is not a regular file"
    if status.st_size > max_bytes:
        return (
            f"refused to read {path}: {status.st_size:,} bytes is over the limit of "
            f"{max_bytes:,} bytes"
        )
    return None
