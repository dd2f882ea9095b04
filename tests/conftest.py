from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from sphinx.testing.util import SphinxTestApp

from triptych.checks import validators

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytest_plugins = ("sphinx.testing.fixtures",)
collect_ignore = ["roots"]

ROOTS = Path(__file__).parent / "roots"
DOCS = Path(__file__).parents[1] / "docs"


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


#: Debian's Chromium, launched by Playwright: no browser download, nothing from the network.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def missing(reason: str) -> NoReturn:
    """Skip a test whose tool is not installed here; in CI, where `make test` installs it, fail."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for every browser test of a test process."""
    executable = validators.chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        missing("Playwright and Debian's Chromium are needed; `make test` installs both")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def docs_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The publication of docs/, built once (``-W``) for every test process of the run: read it only."""
    from triptych import cli

    base = tmp_path_factory.getbasetemp()
    # Test processes share their parent's folder, which belongs to this run alone.
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    work = shared / "docs-build"
    with (shared / "docs-build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (work / "built").is_file():
            shutil.rmtree(work, ignore_errors=True)
            # A copy, so that the build cannot write into the repository's docs/.
            shutil.copytree(DOCS, work / "docs", ignore=shutil.ignore_patterns("_build"))
            arguments = ["build", str(work / "docs"), "-o", str(work / "build"), "-W", "-q"]
            assert cli.main(arguments) == 0
            (work / "built").touch()
    return work / "build"
