"""The released package: the wheel installs on its own and builds a publication."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

import triptych

REPOSITORY = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    # No isolation: the build backend comes from the test environment, not the network.
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(REPOSITORY)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheels = list(dist.glob("triptych-*.whl"))
    assert len(wheels) == 1, list(dist.iterdir())
    assert list(dist.glob("triptych-*.tar.gz")), "no sdist"
    return wheels[0]


def test_the_wheel_holds_the_package_and_its_assets(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "triptych/py.typed" in names
    assert "triptych/assets/print.css" in names
    assert "triptych/assets/html.js" in names
    assert "triptych/assets/fonts/NotoSerif-Regular.ttf" in names
    assert "triptych/builders/pdf/__init__.py" in names
    assert not any(name.startswith(("tests/", "docs/")) for name in names)
    metadata = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    entry_points = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "pdf=triptych.builders.pdf" in entry_points.replace(" ", "")
    assert "ebook=triptych.builders.ebook" in entry_points.replace(" ", "")
    assert f"triptych-{triptych.__version__}" in wheel.name


def test_the_installed_wheel_builds_a_publication(wheel: Path, tmp_path: Path) -> None:
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        timeout=300,
    )
    # The dependencies are those of the test environment, seen as a plain path: its
    # editable install of this repository is not among them.
    site_packages = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site_packages, "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    source = tmp_path / "publication"
    source.mkdir()
    (source / "index.md").write_text("# A small book\n\nIt has one chapter.\n")
    (source / "chapter.md").write_text("# The chapter\n\nThe chapter says what it says.\n")
    clean = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    where = subprocess.run(
        [python, "-c", "import triptych; print(triptych.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=clean,
    ).stdout
    assert where.startswith(str(environment)), where
    version = subprocess.run(
        [environment / "bin" / "triptych", "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=clean,
    ).stdout
    assert version.strip() == f"triptych {triptych.__version__}"
    result = subprocess.run(
        [environment / "bin" / "triptych", "build", str(source), "-o", str(tmp_path / "out"), "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=clean,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pdf = PdfReader(tmp_path / "out" / "pdf" / "a-small-book.pdf")
    assert "The chapter says what it says." in "".join(page.extract_text() for page in pdf.pages)
    assert (tmp_path / "out" / "epub" / "a-small-book.epub").is_file()
    assert "It has one chapter." in (tmp_path / "out" / "html" / "index.html").read_text()
