from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

pytest_plugins = ("sphinx.testing.fixtures",)
collect_ignore = ["roots"]

ROOTS = Path(__file__).parent / "roots"


@pytest.fixture(scope="session")
def rootdir() -> Path:
    return ROOTS


@pytest.fixture(scope="session", autouse=True)
def _fixed_source_date() -> Iterator[None]:
    # Every edition is dated from SOURCE_DATE_EPOCH, so outputs can be compared byte for byte.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
        yield


BuildRoot = Callable[..., SphinxTestApp]


@pytest.fixture(scope="module")
def build_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuildRoot]:
    """Copy a test root to a temporary folder and build it, for assertions on its outputs."""

    def build(builder: str, root: str, **kwargs: object) -> SphinxTestApp:
        srcdir = tmp_path_factory.mktemp(builder) / root
        shutil.copytree(ROOTS / root, srcdir)
        app = SphinxTestApp(builder, srcdir=srcdir, status=StringIO(), warning=StringIO(), **kwargs)  # type: ignore[arg-type]
        try:
            app.build()
        finally:
            # Restores docutils' global registries, so later builds in this process start clean.
            app.cleanup()
        return app

    yield build
