"""Patterns from the documentation of published packages, each in a small publication of ours.

Each case must publish all three editions, every problem a located line of the
author's file, and the editions must hold every document, no broken link, and
an EPUB epubcheck passes. (Apart from ``test_others_projects.py``, whose other
tests they would otherwise queue behind: the suite runs a file per worker.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from outputs import epubcheck_messages, triptych
from test_others_projects import MYST_CONF
from triptych.checks.audit import audit_editions

if TYPE_CHECKING:
    from pathlib import Path

#: (case, files, the warning types expected on stderr)
CASES = [
    (
        "source_suffix as a string",
        {"conf.py": MYST_CONF + 'source_suffix = ".md"\n', "index.md": "# Demo\n\nText.\n"},
        [],
    ),
    (
        "a badge linked to its project",
        {
            "conf.py": MYST_CONF,
            "index.md": "# Demo\n\n```{image} https://img.example.org/b.svg\n:target: "
            "https://example.org/\n:class: badge\n:alt: build passing\n```\n\n"
            "[![coverage](https://img.example.org/c.svg)](https://example.org/c)\n",
        },
        ["triptych.remote_image"],
    ),
    (
        "an image in raw HTML",
        {
            "conf.py": MYST_CONF,
            "index.md": '# Demo\n\n<p align="center"><img src="logo.svg" alt="The logo"></p>\n',
            "logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
        },
        ["triptych.raw_image"],
    ),
    (
        "the generated indices in a toctree",
        {
            "conf.py": MYST_CONF,
            "index.md": "# Demo\n\n```{toctree}\nguide\ngenindex\n```\n",
            "guide.md": "# Guide\n\nText.\n",
        },
        [],
    ),
    (
        "the module index of a project that documents no module",
        {
            "conf.py": MYST_CONF,
            "index.md": "# Demo\n\n```{toctree}\nguide\nmodindex\ngenindex\n```\n\n"
            "* {ref}`modindex`\n* {ref}`genindex`\n* {ref}`search`\n",
            "guide.md": "# Guide\n\nText.\n",
        },
        ["triptych.outside_book"],
    ),
    (
        "a link to a document outside the book",
        {
            "conf.py": MYST_CONF,
            "index.md": "# Demo\n\nSee {doc}`licence`.\n",
            "licence.md": "---\norphan: true\n---\n# Licence\n\nFree.\n",
        },
        ["triptych.outside_book"],
    ),
    (
        "a page that has moved",
        {
            "conf.py": MYST_CONF,
            "index.md": "# Demo\n\n```{toctree}\nmoved\n```\n",
            "moved.md": "---\nhtml_meta:\n  http-equiv=refresh: 0; url=index.html\n---\n"
            "# Moved\n\nThis page has moved.\n",
        },
        ["triptych.refused"],
    ),
    (
        "an image without alt text",
        {
            "conf.py": MYST_CONF,
            "index.md": "# Demo\n\n![](chart.svg)\n",
            "chart.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
        },
        ["triptych.image_alt"],
    ),
    (
        "viewcode's source pages",
        {
            "conf.py": "import os, sys\nsys.path.insert(0, os.path.dirname(__file__))\n"
            + MYST_CONF.replace(
                '["myst_parser"]', '["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]'
            ),
            "index.md": "# Demo\n\n```{eval-rst}\n.. autofunction:: demo_module.spam\n```\n",
            "demo_module.py": 'def spam():\n    """Make spam."""\n',
        },
        [],
    ),
    (
        "viewcode's source page of a module whose objects a package documents too",
        {
            "conf.py": "import os, sys\nsys.path.insert(0, os.path.dirname(__file__))\n"
            + MYST_CONF.replace(
                '["myst_parser"]', '["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]'
            ),
            "index.md": "# Demo\n\n```{toctree}\nerrors\n```\n\n"
            "```{eval-rst}\n.. automodule:: demo_pkg\n   :members:\n```\n",
            "errors.md": "# Errors\n\n```{eval-rst}\n.. automodule:: demo_pkg.errors\n"
            "   :members:\n```\n",
            "demo_pkg/__init__.py": '"""Demo."""\nfrom demo_pkg.errors import Oops\n\n'
            '__all__ = ["Oops"]\n',
            "demo_pkg/errors.py": '"""Errors."""\n\n\nclass Base(Exception):\n'
            '    """Every error."""\n\n\nclass Oops(Base):\n    """One error."""\n',
        },
        [],
    ),
    (
        "sphinx-notfound-page's 404 page, whose links start at the server's root",
        {
            "conf.py": MYST_CONF.replace(
                '["myst_parser"]', '["myst_parser", "notfound.extension"]'
            ),
            "index.md": "# Demo\n\n```{toctree}\nguide\n```\n",
            "guide.md": "# Guide\n\nText.\n",
        },
        [],
    ),
    (
        "a footnote called but never written, a reST target named nowhere",
        {
            "conf.py": MYST_CONF,
            "index.md": "# Demo\n\nA call[^sandbox].\n\n```{eval-rst}\nSee factory_.\n```\n",
        },
        ["docutils"],
    ),
    (
        "a link with a text fragment after its fragment",
        {
            "conf.py": MYST_CONF,
            "index.md": "# Demo\n\nSee [the rule](https://example.org/a#rules#:~:text=B950).\n",
        },
        [],
    ),
    (
        "a heading with no text, above footnotes",
        {
            "conf.py": MYST_CONF,
            "index.md": "# Demo\n\nText[^1].\n\n## Part\n\nMore.\n\n##\n\n### Kept\n\n"
            "[^1]: A note.\n",
        },
        ["triptych.empty_heading"],
    ),
    (
        "a video written as an image, and as a figure",
        {
            "conf.py": MYST_CONF,
            "index.md": "# Demo\n\n![](media/clip.mp4)\n\n```{figure} media/clip.mp4\n"
            ":alt: The sandbox at work\n\nThe sandbox.\n```\n",
            "media/clip.mp4": "\x00\x00\x00\x18ftypmp42",
        },
        ["triptych.video"],
    ),
    (
        "an autodoc parameter's description that starts with a note",
        {
            "conf.py": "import os, sys\nsys.path.insert(0, os.path.dirname(__file__))\n"
            + MYST_CONF.replace('["myst_parser"]', '["myst_parser", "sphinx.ext.autodoc"]'),
            "index.md": "# Demo\n\n```{eval-rst}\n.. autofunction:: demo_module.spam\n```\n",
            "demo_module.py": 'def spam(flag: bool, size: int) -> None:\n    """Make spam.\n\n'
            "    :param flag:\n\n        .. note:: Careful.\n\n        Whether to.\n\n"
            '    :param size: How much.\n\n        - some\n        - more\n    """\n',
        },
        [],
    ),
    (
        "an extension's radio button, written with a boolean attribute; a placeholder in a URL",
        {
            "conf.py": "import os, sys\nsys.path.insert(0, os.path.dirname(__file__))\n"
            + MYST_CONF.replace('"myst_parser"]', '"myst_parser", "switch"]'),
            "switch.py": "from docutils import nodes\nfrom sphinx.util.docutils import SphinxDirective\n"
            "class switch(nodes.General, nodes.Element): pass\n"
            "def visit(self, node):\n"
            "    self.body.append(self.emptytag(node, 'input', type='radio', checked=True))\n"
            "    raise nodes.SkipNode\n"
            "class Switch(SphinxDirective):\n"
            "    def run(self): return [switch()]\n"
            "def setup(app):\n"
            "    app.add_node(switch, html=(visit, None))\n"
            "    app.add_directive('switch', Switch)\n",
            "index.md": "# Demo\n\n```{switch}\n```\n\nText.\n\n```{eval-rst}\n"
            "See `the index <https://example.org/simple/{name}>`_.\n```\n",
        },
        [],
    ),
    (
        "a reST link whose target is a name written as an address",
        {
            "conf.py": MYST_CONF,
            "index.md": "# Demo\n\n## Commands\n\n```{eval-rst}\n"
            "See `Command structure <Command structure>`_, `the logo <logo.svg>`_.\n```\n",
            "logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
        },
        ["triptych.unknown_syntax"],
    ),
    (
        "docs whose repository is a setup.py project",
        {
            "../setup.py": "from setuptools import setup\nsetup()\n",
            "../README.md": "The package reads tide tables.\n",
            "conf.py": MYST_CONF,
            "index.md": "# Demo\n\n```{include} ../README.md\n```\n",
        },
        [],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_a_pattern_from_real_projects_publishes(
    tmp_path: Path, case: tuple[str, dict[str, str], list[str]]
) -> None:
    _, files, kinds = case
    source = tmp_path / "repository" / "docs"
    for name, text in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text)
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for line in filter(None, result.stderr.splitlines()):
        assert line.startswith(str(source)), line  # the author's file, never a staging path
    for kind in kinds:
        assert f"[{kind}]" in result.stderr, result.stderr
    assert (out / "pdf" / "demo.pdf").is_file()
    assert (out / "epub" / "demo.epub").is_file()
    assert (out / "html" / "index.html").is_file()
    for audit in audit_editions(out):
        assert audit.broken == [], (audit.edition, audit.broken)
    assert epubcheck_messages(out / "epub" / "demo.epub") == []
