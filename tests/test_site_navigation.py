"""The site's contents with Sphinx's own themes: loaded from one file, shown as Sphinx shows them.

The oracle is Sphinx itself: the same project built by ``sphinx-build`` without triptych,
whose every page holds the contents its theme asked ``toctree()`` for. Each page of
triptych's site, once its script ran in Chromium, must show the same entries, nested
alike, the same ones marked current.
"""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

from lxml import html as lxml_html

from outputs import triptych

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser

CONF = """\
project = "Atlas of rivers"
author = "A. Writer"
extensions = [{extensions}]
"""

PAGES = {
    "index.md": """\
# Atlas of rivers

```{toctree}
:caption: Rivers
sources
deltas
```

```{toctree}
:caption: Notes
notes
```
""",
    "sources.md": "# Sources\n\nWhere rivers rise.\n\n## Springs\n\nWater from the ground.\n\n"
    "## Glaciers\n\nWater from the ice.\n\n```{toctree}\nsprings\n```\n",
    "springs.md": "# Karst springs\n\nWater through limestone.\n\n## Caves\n\nDark water.\n",
    "deltas.md": "# Deltas\n\nWhere rivers end.\n\n## Fans\n\nSpread out.\n",
    "notes.md": "# Notes\n\nOn the maps.\n",
}

#: The contents of the sidebar of the page open in the tab: each link, where it leads,
#: how deep it sits, whether the page marks it as the way to itself.
SIDEBAR_ENTRIES = """() => [...document.querySelectorAll(
    "div.sphinxsidebar li[class*='toctree-l'] > a.reference")].map((link) => [
        new URL(link.getAttribute("href"), location.href).href.split("#")[0].split("/").pop()
            + (link.hash || ""),
        link.textContent.trim(),
        [...link.parentElement.classList].find((name) => name.startsWith("toctree-l")),
        link.parentElement.classList.contains("current"),
    ])"""


def _write_project(folder: Path, extensions: str) -> None:
    folder.mkdir(parents=True)
    (folder / "conf.py").write_text(CONF.format(extensions=extensions), encoding="utf-8")
    for name, text in PAGES.items():
        (folder / name).write_text(text, encoding="utf-8")


def test_sphinx_themes_load_the_contents_from_one_file_and_show_what_sphinx_would(
    tmp_path: Path, browser: Browser
) -> None:
    ours, sphinx = tmp_path / "ours", tmp_path / "sphinx"
    _write_project(ours, '"triptych"')
    _write_project(sphinx, '"myst_parser"')
    result = triptych("build", ours, "-o", tmp_path / "out", "-f", "html", "-q")
    assert result.returncode == 0, result.stderr
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", sphinx, tmp_path / "reference"],
        check=True,
    )
    site, reference = tmp_path / "out" / "html", tmp_path / "reference"
    names = [name.removesuffix(".md") + ".html" for name in PAGES]
    page = browser.new_page()
    try:
        for name in names:
            # The page's sidebar holds no contents of its own (a link to the root's page
            # stands in without scripts): they are in the one file every page loads.
            tree = lxml_html.parse(site / name)
            listed = tree.xpath(
                "//div[@class='sphinxsidebar']//li[contains(@class, 'toctree-l')]"
                "[not(ancestor::noscript)]"
            )
            assert listed == [], name
            page.goto((reference / name).as_uri())
            expected = page.evaluate(SIDEBAR_ENTRIES)
            page.goto((site / name).as_uri())
            shown = page.evaluate(SIDEBAR_ENTRIES)
            assert expected, name
            # triptych lists the publication's index after the contents, as the books do.
            assert shown[-1][:2] == ["genindex.html", "Index"], name
            assert shown[:-1] == expected, name
    finally:
        page.close()
    scripts = sorted(path.name for path in (site / "_static").glob("triptych-contents-*.js"))
    assert len(scripts) == 1, scripts
