"""What real Sphinx and MyST projects written by others do, each in a small publication of ours.

Each case is a pattern met in the documentation of published packages. The
build must publish all three editions, every problem a located line, and the
editions must hold every document and no broken link.
"""

from __future__ import annotations

import zipfile
import zlib
from typing import TYPE_CHECKING

import pytest
from lxml import html as lxml_html

from outputs import epubcheck_messages, pdf_page_texts, pdf_words, triptych
from triptych.checks.audit import audit_editions

if TYPE_CHECKING:
    from pathlib import Path

XHTML = {"x": "http://www.w3.org/1999/xhtml"}
MYST_CONF = 'project = "Demo"\nextensions = ["myst_parser"]\n'


def test_viewcode_links_to_source_pages_are_the_sites_alone(tmp_path: Path) -> None:
    """The books hold no source pages: each object's "[source]" was dead text in the PDF and
    the EPUB, with a warning for every one (Sphinx's EPUB builder leaves them out)."""
    source = tmp_path / "docs"
    source.mkdir()
    (source / "conf.py").write_text(
        "import os, sys\nsys.path.insert(0, os.path.dirname(__file__))\n"
        + MYST_CONF.replace(
            '["myst_parser"]', '["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]'
        )
    )
    (source / "index.md").write_text(
        "# Demo\n\n```{eval-rst}\n.. autofunction:: demo_module.spam\n```\n"
    )
    (source / "demo_module.py").write_text('def spam():\n    """Make spam."""\n')
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q", "-W")
    assert result.returncode == 0, result.stderr
    site = lxml_html.parse(str(out / "html" / "index.html"))
    assert site.xpath("//a[span[@class='viewcode-link']]/@href") == [
        "_modules/demo_module.html#spam"
    ]
    printed = "\n".join(pdf_page_texts(out / "pdf" / "demo.pdf"))
    assert "Make spam." in printed
    assert "[source]" not in printed
    with zipfile.ZipFile(out / "epub" / "demo.epub") as archive:
        chapter = archive.read("EPUB/index.xhtml").decode()
    assert "Make spam." in chapter
    assert "[source]" not in chapter


def test_links_from_the_servers_root_are_checked_where_the_site_is(tmp_path: Path) -> None:
    from triptych.checks.audit import audit_html

    (tmp_path / "guide").mkdir()
    (tmp_path / "guide" / "index.html").write_text("<p id='here'>Guide</p>")
    links = ["/en/latest/guide/", "/en/latest/guide/index.html#here", "/guide/#here", "/"]
    wrong = ["/en/latest/nowhere.html", "/en/latest/guide/#elsewhere"]
    (tmp_path / "index.html").write_text("".join(f"<a href='{h}'>x</a>" for h in links + wrong))
    audit = audit_html(tmp_path)
    assert audit.links == len(links) + len(wrong)
    assert audit.broken == [
        "index.html: /en/latest/nowhere.html: no such file",
        "index.html: /en/latest/guide/#elsewhere: no such id",
    ]


def test_raw_html_links_go_to_their_page_or_are_text(tmp_path: Path) -> None:
    import zipfile

    from lxml import etree, html
    from pypdf import PdfReader

    from outputs import pdf_links

    source = tmp_path / "repository" / "docs"
    source.mkdir(parents=True)
    (source / "conf.py").write_text(MYST_CONF + "myst_heading_anchors = 3\n")
    (source / "index.md").write_text(
        "# Demo\n\n```{toctree}\nguide\n```\n\n<ol>\n"
        '  <li>See <a href="#the-outreach">outreach</a>.</li>\n'
        '  <li>See <a href="#nowhere">nothing</a>.</li>\n</ol>\n\n'
        'Inline <a href="#gone" class="x">gone</a> too, <a href="guide">guide</a>.\n\n'
        "## The Outreach\n\nText.\n"
    )
    # The same id in two pages: each page's own links go to its own.
    (source / "guide.md").write_text(
        '# Guide\n\n<p id="here">Here.</p>\n\n<a href="#here">back here</a>\n\n'
        '<p>To <a href="index.md#the-outreach">outreach</a>, <a href="./">home</a>.</p>\n'
    )
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    index = source / "index.md"
    assert result.stderr.count("[triptych.unknown_syntax]") == 2, result.stderr
    assert f"{index}:9: WARNING: a link in raw HTML to #nowhere" in result.stderr
    assert f"{index}:12: WARNING: a link in raw HTML to #gone" in result.stderr

    page = html.parse(out / "html" / "index.html").getroot()
    assert page.xpath("//a[text()='outreach']/@href") == ["#the-outreach"]
    for text in ("nothing", "gone"):
        assert page.xpath(f"//a[text()='{text}']/@href") == [], text
    assert page.xpath("//a[text()='gone']/@class") == ["x"]

    assert page.xpath("//a[text()='guide']/@href") == ["guide.html"]
    guide = html.parse(out / "html" / "guide.html").getroot()
    assert guide.xpath("//a[text()='outreach']/@href") == ["index.html#the-outreach"]
    assert guide.xpath("//a[text()='home']/@href") == ["index.html"]
    with zipfile.ZipFile(out / "epub" / "demo.epub") as epub:
        chapter = etree.fromstring(epub.read("EPUB/guide.xhtml"))
    hrefs = chapter.xpath("//x:a[text()='outreach' or text()='home']/@href", namespaces=XHTML)
    assert hrefs == ["index.xhtml#the-outreach", "index.xhtml"]

    internal = {link.target for link in pdf_links(PdfReader(out / "pdf" / "demo.pdf"))}
    assert {"index--the-outreach", "guide--here", "document-guide", "document-index"} <= internal
    for audit in audit_editions(out):
        assert audit.broken == [], (audit.edition, audit.broken)
    assert epubcheck_messages(out / "epub" / "demo.epub") == []


def test_relative_links_to_a_documents_page_go_to_that_document_in_every_edition(
    tmp_path: Path,
) -> None:
    # A Markdown link to "sub/b.html" (MyST finds no target by that name) and a reST link
    # with that URL (as sphinx-design's button-link makes) were text in the books, with
    # "which the PDF does not hold", while a raw <a href> to the same page was a link.
    import zipfile

    from lxml import etree, html
    from pypdf import PdfReader

    from outputs import pdf_broken_links, pdf_destination_page, pdf_links

    source = tmp_path / "docs"
    (source / "sub").mkdir(parents=True)
    (source / "conf.py").write_text(MYST_CONF + "myst_heading_anchors = 2\n")
    (source / "index.md").write_text("# Demo\n\n```{toctree}\na\nnotes\nsub/b\n```\n")
    (source / "a.md").write_text(
        "# A\n\nTo [page B](sub/b.html) and [its part](sub/b.html#part-two).\n"
    )
    (source / "notes.rst").write_text(
        "Notes\n=====\n\nTo `page B <sub/b.html>`_ and `its label <sub/b.html#b-label>`_.\n"
    )
    (source / "sub" / "b.md").write_text("# B\n\nText.\n\n(b-label)=\n## Part two\n\nMore.\n")
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr

    expected = {"a": ["sub/b", "sub/b#part-two"], "notes": ["sub/b", "sub/b#b-label"]}
    for name, targets in expected.items():
        page = html.parse(out / "html" / f"{name}.html").getroot()
        hrefs = page.xpath(
            "//a[starts-with(string(), 'page B') or starts-with(string(), 'its')]/@href"
        )
        assert hrefs == [t.replace("#", ".html#") if "#" in t else t + ".html" for t in targets]
    with zipfile.ZipFile(out / "epub" / "demo.epub") as epub:
        b_chapter = etree.fromstring(epub.read("EPUB/sub/b.xhtml"))
        for name, targets in expected.items():
            chapter = etree.fromstring(epub.read(f"EPUB/{name}.xhtml"))
            hrefs = chapter.xpath("//x:p//x:a/@href", namespaces=XHTML)
            assert hrefs == [
                t.replace("#", ".xhtml#") if "#" in t else t + ".xhtml" for t in targets
            ]
            for href in hrefs:
                if "#" in href:
                    assert b_chapter.xpath(f"//*[@id='{href.split('#')[1]}']"), href
    assert epubcheck_messages(out / "epub" / "demo.epub") == []

    reader = PdfReader(out / "pdf" / "demo.pdf")
    b_page = next(
        number
        for number, text in enumerate(pdf_page_texts(out / "pdf" / "demo.pdf"), start=1)
        if "Part two" in text and "More." in text
    )
    targets = {link.target for link in pdf_links(reader)}
    for destination in ("document-sub/b", "sub/b--part-two", "sub/b--b-label"):
        assert destination in targets
        assert pdf_destination_page(reader, destination) == b_page
    assert pdf_broken_links(reader).broken == []


def test_a_second_heading_at_the_top_of_the_root_keeps_its_heading_in_print(
    tmp_path: Path,
) -> None:
    source = tmp_path / "repository" / "docs"
    source.mkdir(parents=True)
    (source / "conf.py").write_text(MYST_CONF)
    (source / "index.md").write_text(
        "# Demo\n\nIntro.\n\n```{toctree}\nguide\n```\n\n# Indices and tables\n\n- {ref}`genindex`\n"
    )
    (source / "guide.md").write_text("# Guide\n\nText.\n")
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    lines = [
        line.strip()
        for page in pdf_page_texts(out / "pdf" / "demo.pdf")
        for line in page.splitlines()
    ]
    assert lines.count("Indices and tables") == 1  # its heading (the contents line has dots)
    checked = triptych("check", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_chapter_titled_otherwise_in_its_toctree_passes_the_page_audit(tmp_path: Path) -> None:
    source = tmp_path / "repository" / "docs"
    source.mkdir(parents=True)
    (source / "conf.py").write_text(MYST_CONF)
    (source / "index.md").write_text("# Demo\n\n```{toctree}\nCurrent style <current>\n```\n")
    (source / "current.md").write_text("# The code style\n\nText.\n\n## Lines\n\nShort.\n")
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    checked = triptych("check", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr


#: A theme installed as a package is also an extension: one directive of its own, a
#: post-transform and a build-finished handler for its site.
THEME_PACKAGE = """
from pathlib import Path

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective


class Fold(SphinxDirective):
    has_content = True

    def run(self):
        fold = nodes.container(classes=["fold"])
        fold += self.parse_content_to_nodes()
        return [fold]


class MarkParagraphs(SphinxPostTransform):
    default_priority = 500
    formats = ("html",)

    def run(self, **kwargs):
        for paragraph in self.document.findall(nodes.paragraph):
            paragraph["classes"].append("pagefold-screen")


def leave_a_mark(app, exception):
    Path(app.outdir, "pagefold.txt").write_text("written for the theme's site")


def setup(app):
    app.add_html_theme("pagefold", str(Path(__file__).parent / "theme"))
    app.add_directive("fold", Fold)
    app.add_post_transform(MarkParagraphs)
    app.connect("build-finished", leave_a_mark)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
"""


FOLD = "//div[contains(concat(' ', @class, ' '), ' fold ')]"


def install_theme_package(folder: Path) -> None:
    """``pagefold``, declared through the ``sphinx.html_themes`` entry point as a wheel does."""
    package = folder / "pagefold_theme"
    (package / "theme").mkdir(parents=True)
    (package / "__init__.py").write_text(THEME_PACKAGE)
    (package / "theme" / "theme.toml").write_text('[theme]\ninherit = "basic"\n')
    metadata = folder / "pagefold_theme-1.0.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pagefold-theme\nVersion: 1.0\n"
    )
    (metadata / "entry_points.txt").write_text("[sphinx.html_themes]\npagefold = pagefold_theme\n")


def test_a_themes_directives_work_in_every_edition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import zipfile

    from lxml import etree, html

    installed = tmp_path / "site-packages"
    install_theme_package(installed)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(installed), os.environ.get("PYTHONPATH", "")])
    )
    source = tmp_path / "docs"
    source.mkdir()
    (source / "conf.py").write_text(MYST_CONF + 'html_theme = "pagefold"\n')
    (source / "index.md").write_text("# Demo\n\nText.\n\n```{fold}\nFolded words.\n```\n")
    out = tmp_path / "out"
    # The PDF reads first, and Sphinx alone loads the theme only for the site.
    result = triptych("build", source, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""

    page = html.parse(out / "html" / "index.html").getroot()
    assert [div.text_content().strip() for div in page.xpath(FOLD)] == ["Folded words."]
    assert page.xpath("//p[contains(@class, 'pagefold-screen')]")
    assert (out / "html" / "pagefold.txt").is_file()
    with zipfile.ZipFile(out / "epub" / "demo.epub") as epub:
        chapter = etree.fromstring(epub.read("EPUB/index.xhtml"))
        assert not any(name.endswith("pagefold.txt") for name in epub.namelist())
    folds = chapter.xpath(FOLD.replace("//", "//x:"), namespaces=XHTML)
    assert ["".join(fold.itertext()).strip() for fold in folds] == ["Folded words."]
    # What the theme does while writing its site stays with the site.
    assert not chapter.xpath("//x:p[contains(@class, 'pagefold-screen')]", namespaces=XHTML)
    assert sorted(path.name for path in (out / "pdf").iterdir()) == ["demo.pdf"]
    text = "".join(pdf_page_texts(out / "pdf" / "demo.pdf"))
    assert "Folded words." in text
    assert "{fold}" not in text
    assert epubcheck_messages(out / "epub" / "demo.epub") == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_autodoc_import_failure_is_one_warning_at_its_directive(
    tmp_path: Path, jobs: str
) -> None:
    source = tmp_path / "docs"
    source.mkdir()
    (source / "conf.py").write_text(
        'project = "Demo"\nextensions = ["myst_parser", "sphinx.ext.autodoc"]\n'
    )
    (source / "index.md").write_text(
        "# Demo\n\n```{toctree}\napi\nmore\n```\n\n```{eval-rst}\n.. automodule:: no_such_module\n```\n"
    )
    (source / "api.rst").write_text("API\n===\n\nText.\n\n.. autofunction:: broken_pkg.helper\n")
    (source / "more.md").write_text("# More\n\nText.\n")
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q", "-j", jobs)
    assert result.returncode == 0, result.stderr  # a warning, as in Sphinx: the build goes on
    assert "Traceback" not in result.stderr
    why = "the following exception was raised: ModuleNotFoundError: No module named"
    api = f"autodoc: failed to import 'helper' from module 'broken_pkg'; {why} 'broken_pkg'"
    index = f"autodoc: failed to import 'no_such_module'; {why} 'no_such_module'"
    assert sorted(result.stderr.splitlines()) == [
        f"{source / 'api.rst'}:6: WARNING: {api} [autodoc.import_object]",
        f"{source / 'index.md'}:9: WARNING: {index} [autodoc.import_object]",
    ]
    assert (out / "html" / "more.html").is_file()


def test_intersphinx_inventories_not_fetched_are_named_once_at_their_line(
    tmp_path: Path,
) -> None:
    source = tmp_path / "docs"
    source.mkdir()
    (source / "conf.py").write_text(
        'project = "Demo"\nextensions = ["sphinx.ext.intersphinx"]\n'
        'triptych_allowed_hosts = ["docs.example.org"]\n'
        "intersphinx_mapping = {\n"
        '    "python": ("https://docs.python.org/3", None),\n'
        '    "pip": ("https://pip.pypa.io/en/latest/", None),\n'
        '    "local": ("https://docs.example.org/", ("objects.inv",)),\n'
        "}\n"
    )
    # An inventory on an allowed host is kept: this one is read from the project's folder.
    (source / "objects.inv").write_bytes(
        b"# Sphinx inventory version 2\n# Project: Local\n# Version: 1\n"
        b"# The remainder of this file is compressed using zlib.\n"
        + zlib.compress(b"tides std:doc -1 tides.html Tides\n")
    )
    (source / "index.rst").write_text(
        "Demo\n====\n\n.. toctree::\n\n   more\n\n"
        "See :doc:`python:library/venv` and :doc:`local:tides`.\n"
    )
    (source / "more.rst").write_text("More\n====\n\nSee :ref:`pip:requirements files`.\n")
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    named = [line for line in result.stderr.splitlines() if "[triptych.remote_inventory]" in line]
    # Once in the build, though three editions load the configuration.
    expected = (
        f"{source / 'conf.py'}:4: WARNING: intersphinx inventories not fetched, as builds make "
        "no network requests: python, pip; references into them are shown as text. To fetch "
        "them, list their hosts in triptych_allowed_hosts: docs.python.org, pip.pypa.io "
        "[triptych.remote_inventory]"
    )
    assert named == [expected], result.stderr
    assert "local:tides" not in result.stderr  # resolved in every edition
    text = " ".join(pdf_page_texts(out / "pdf" / "demo.pdf"))
    assert "python:library/venv and Tides" in text


def test_a_warning_of_several_lines_keeps_its_first_line_and_the_exception() -> None:
    from triptych.diagnostics import one_line

    chained = (
        "ext: could not read 'data.csv':\nTraceback (most recent call last):\n"
        '  File "ext.py", line 3, in read\n    open(name)\nFileNotFoundError: data.csv\n\n'
        "During handling of the above exception, another exception occurred:\n\n"
        'Traceback (most recent call last):\n  File "ext.py", line 5, in read\n'
        "ValueError: no data\n"
    )
    assert one_line(chained) == "ext: could not read 'data.csv': ValueError: no data"
    assert one_line("first part\nof the message\n\nthe block it was about") == (
        "first part of the message"
    )


def test_sphinx_design_tabs_and_dropdowns_are_read_in_turn_in_the_books(tmp_path: Path) -> None:
    import zipfile

    from lxml import etree, html

    source = tmp_path / "repository" / "docs"
    source.mkdir(parents=True)
    (source / "conf.py").write_text(
        'project = "Demo"\nextensions = ["myst_parser", "sphinx_design"]\n'
        'myst_enable_extensions = ["colon_fence"]\n'
    )
    (source / "index.md").write_text("# Demo\n\n```{toctree}\na\nb\n```\n")
    tabs = "::::{{tab-set}}\n{}::::\n\n"
    item = ":::{{tab-item}} {}\n{} steps.\n:::\n"
    (source / "a.md").write_text(
        "# A\n\n"
        + tabs.format(item.format("Mac", "Mac") + item.format("Windows", "Windows"))
        + ":::{dropdown} More\n:icon: eye\nHidden text {octicon}`check`.\n:::\n"
    )
    # The same tab ids again in another chapter of the one print document.
    (source / "b.md").write_text("# B\n\n" + tabs.format(item.format("Linux", "Linux")))
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    assert "Anchor defined twice" not in result.stderr, result.stderr
    for line in filter(None, result.stderr.splitlines()):
        assert line.startswith(str(source)), line

    pages = [" ".join(page.split()) for page in pdf_page_texts(out / "pdf" / "demo.pdf")]
    chapter_a = next(page for page in pages if "Mac steps." in page)
    assert "Mac Mac steps. Windows Windows steps. More Hidden text ." in chapter_a
    assert any("Linux Linux steps." in page for page in pages)
    (printed,) = (out / "doctrees" / "triptych-pdf").glob("*.html")
    page = html.parse(printed).getroot()
    # No radio buttons, no disclosure a page cannot open, no chevrons or icons to draw.
    assert page.xpath("//input | //label | //details | //summary | //svg") == []
    labels = page.xpath("//*[contains(@class, 'triptych-label')]")
    assert [label.text_content().strip() for label in labels] == ["Mac", "Windows", "Linux"]

    assert epubcheck_messages(out / "epub" / "demo.epub") == []
    with zipfile.ZipFile(out / "epub" / "demo.epub") as epub:
        chapter = etree.fromstring(epub.read("EPUB/a.xhtml"))
    assert (
        chapter.xpath(
            "//x:input | //x:label | //x:details | //*[local-name()='svg']", namespaces=XHTML
        )
        == []
    )
    labels = chapter.xpath("//x:strong[contains(@class, 'triptych-label')]", namespaces=XHTML)
    assert [label.xpath("normalize-space()") for label in labels] == ["Mac", "Windows"]
    assert chapter.xpath("normalize-space(//*[contains(@class, 'sd-summary-content')])") == (
        "Hidden text ."
    )


#: An extension as video and notebook extensions are: a node its HTML visitor writes as an
#: ``<iframe>``, and raw HTML (a script, a drawing) added once references are resolved.
EMBEDDING_EXTENSION = """
from docutils import nodes
from sphinx.util.docutils import SphinxDirective


class talk(nodes.General, nodes.Element):
    pass


def visit_talk(self, node):
    self.body.append(self.starttag(node, "span", "", ids=["talk"]) + "</span>")
    self.body.append('<div class="talk"><iframe src="https://video.example.org/embed/42" '
                     'title="The launch talk" allowfullscreen="true"></iframe></div>')
    raise nodes.SkipNode


class Talk(SphinxDirective):
    def run(self):
        return [talk()]


def add_screen_html(app, doctree, docname):
    doctree.append(nodes.raw("", "<script>kernelName = 'python3'</script>", format="html"))
    doctree.append(nodes.raw(
        "", '<p><svg width="8" height="8" viewBox="0 0 4 4" role="img" aria-label="A square">'
        '<rect width="4" height="4"/></svg></p>', format="html"))


def setup(app):
    app.add_node(talk, html=(visit_talk, None))
    app.add_directive("talk", Talk)
    app.connect("doctree-resolved", add_screen_html)
"""


def test_embedded_frames_scripts_and_drawings_in_the_books(tmp_path: Path) -> None:
    import zipfile

    from lxml import etree, html
    from pypdf import PdfReader

    from outputs import pdf_links

    source = tmp_path / "repository" / "docs"
    source.mkdir(parents=True)
    (source / "embedding.py").write_text(EMBEDDING_EXTENSION)
    (source / "conf.py").write_text(
        "import sys, pathlib\nsys.path.insert(0, str(pathlib.Path(__file__).parent))\n"
        + MYST_CONF.replace('"myst_parser"', '"myst_parser", "embedding"')
    )
    (source / "index.md").write_text("# Demo\n\n```{toctree}\nv\nw\n```\n")
    (source / "v.md").write_text("# V\n\n```{talk}\n```\n\nAfter the talk.\n")
    # The id the visitor writes, again in another chapter of the one print document.
    (source / "w.md").write_text("# W\n\n```{talk}\n```\n")
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q")
    assert result.returncode == 0, result.stderr

    video = "https://video.example.org/embed/42"
    pages = [" ".join(page.split()) for page in pdf_page_texts(out / "pdf" / "demo.pdf")]
    assert any("V The launch talk After the talk." in page for page in pages), pages
    assert video in {link.uri for link in pdf_links(PdfReader(out / "pdf" / "demo.pdf"))}
    assert "Anchor defined twice" not in result.stderr, result.stderr
    (printed,) = (out / "doctrees" / "triptych-pdf").glob("*.html")
    assert {"v--talk", "w--talk"} <= set(html.parse(printed).getroot().xpath("//@id"))

    assert epubcheck_messages(out / "epub" / "demo.epub") == []
    with zipfile.ZipFile(out / "epub" / "demo.epub") as epub:
        chapter = etree.fromstring(epub.read("EPUB/v.xhtml"))
    links = chapter.xpath("//x:a[@href=$video]", video=video, namespaces=XHTML)
    assert [link.text for link in links] == ["The launch talk"]
    assert chapter.xpath("//x:iframe | //x:script", namespaces=XHTML) == []
    (drawing,) = chapter.xpath("//s:svg", namespaces={"s": "http://www.w3.org/2000/svg"})
    assert drawing.get("viewBox") == "0 0 4 4"


#: A directive that sets its label as its node's id, and the same id on the section of
#: its body, as sphinx-proof and sphinx-exercise do, without docutils' check that no
#: other element has them.
LABELLED_BOX = """
from docutils import nodes
from sphinx.util.docutils import SphinxDirective


class Box(SphinxDirective):
    has_content = True
    option_spec = {"label": str}

    def run(self):
        box = nodes.container(classes=["box"], ids=[self.options["label"]])
        body = nodes.section(classes=["box-content"], ids=["box-content"])
        body += self.parse_content_to_nodes()
        box += body
        return [box]


def setup(app):
    app.add_directive("box", Box)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ids_an_extension_repeats_are_one_place_in_every_edition(tmp_path: Path, jobs: str) -> None:
    # QuantEcon's inequality lecture: a {prf:definition} labelled top-shares under
    # "## Top shares", and every definition's body with the id proof-content. The site
    # took the id from the section, which Sphinx then could not number (with -j the page
    # was silently not written, and the site published none); epubcheck and WeasyPrint
    # found each id twice.
    import zipfile
    from collections import Counter

    from lxml import etree, html

    source = tmp_path / "docs"
    source.mkdir()
    (source / "labelled_box.py").write_text(LABELLED_BOX)
    (source / "conf.py").write_text(
        "import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\n"
        'project = "Demo"\nextensions = ["myst_parser", "labelled_box"]\n'
    )
    (source / "index.md").write_text(
        "# Demo\n\n```{toctree}\n:numbered:\n" + "".join(f"c{n}\n" for n in range(8)) + "```\n"
    )
    for n in range(8):
        (source / f"c{n}.md").write_text(
            f"# Chapter {n}\n\n## Top shares\n\n```{{box}}\n:label: top-shares\n\n"
            "The top share.\n```\n\n```{box}\n:label: bottom-shares\n\nThe bottom share.\n```\n"
            "\nSee [the definition](#top-shares).\n"
        )
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q", "-j", jobs)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for n in range(8):
        page = html.parse(out / "html" / f"c{n}.html").getroot()
        (section,) = page.xpath("//section[h2]")
        assert section.xpath("string(h2)").startswith(f"{n + 1}.1. Top shares")
        ids = Counter(page.xpath("//@id"))
        assert [i for i, count in ids.items() if count > 1] == []
        (box,) = page.xpath("//*[@id='top-shares']")
        assert "box" in box.get("class").split()
        assert page.xpath("//a[string()='the definition']/@href") == ["#top-shares"]
    with zipfile.ZipFile(out / "epub" / "demo.epub") as epub:
        chapter = etree.fromstring(epub.read("EPUB/c0.xhtml"))
        (box,) = chapter.xpath("//*[@id='top-shares']/@class", namespaces=XHTML)
        assert "box" in box.split()
    assert epubcheck_messages(out / "epub" / "demo.epub") == []
    checked = triptych("check", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_pyscript_code_in_raw_html_is_not_printed_as_text(tmp_path: Path) -> None:
    """sphinx-pyscript writes its code in ``<py-script>``; dropping the element kept its code,
    run together as one paragraph in every edition."""
    import zipfile

    from lxml import html

    source = tmp_path / "docs"
    source.mkdir()
    (source / "conf.py").write_text(MYST_CONF)
    (source / "index.md").write_text(
        "# Demo\n\nBefore the script.\n\n"
        '<py-config>\npackages = ["numpy"]\n</py-config>\n\n'
        "<py-script>\nimport numpy as np\nprint(np.arange(3))\n</py-script>\n\n"
        "After the script.\n"
    )
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    site = html.parse(str(out / "html" / "index.html")).getroot().text_content()
    printed = "\n".join(pdf_page_texts(out / "pdf" / "demo.pdf"))
    with zipfile.ZipFile(out / "epub" / "demo.epub") as epub:
        chapter = epub.read("EPUB/index.xhtml").decode()
    for edition, text in (("site", site), ("PDF", printed), ("EPUB", chapter)):
        assert "Before the script." in text, edition
        assert "After the script." in text, edition
        assert "numpy" not in text, edition


def test_sphinx_design_cards_are_boxes_in_a_grid_in_print_and_boxes_in_the_epub(
    tmp_path: Path,
) -> None:
    """sphinx-design draws its cards with a stylesheet for the site alone: in the books they
    were loose lines, the text a screen hides (where a card leads) among them."""
    import cssselect2
    import tinycss2
    from lxml import etree

    source = tmp_path / "docs"
    source.mkdir()
    (source / "conf.py").write_text(
        MYST_CONF.replace('["myst_parser"]', '["myst_parser", "sphinx_design"]')
        + 'myst_enable_extensions = ["colon_fence"]\n'
    )
    (source / "index.md").write_text(
        "# Demo\n\n::::{grid} 1 2 2 3\n\n"
        ":::{grid-item-card} Install guide\n:link: https://example.org/install\n"
        ":link-alt: the installation page\n\nSteps for every platform.\n:::\n\n"
        ":::{grid-item-card} Tutorial\nA first walk through the basics.\n:::\n"
        "::::\n\nBadges: {bdg-primary}`primary badge`.\n"
    )
    out = tmp_path / "out"
    result = triptych("build", source, "-o", out, "-q", "-W")
    assert result.returncode == 0, result.stderr

    pdf = out / "pdf" / "demo.pdf"
    texts = [" ".join(text.split()) for text in pdf_page_texts(pdf)]
    (page,) = [number for number, text in enumerate(texts, 1) if "Steps for every" in text]
    words = pdf_words(pdf, page)
    first = {word.text: (word.x_min, word.y_min) for word in words}
    # Two columns, as the author asked of a screen as narrow as the page.
    assert first["Install"][1] == pytest.approx(first["Tutorial"][1], abs=1)
    assert first["Tutorial"][0] > first["Install"][0] + 150
    # Where the card leads, on a line of its own at its foot, marked as a pointer.
    left_column = [
        word.text
        for word in words
        if word.x_min < first["Tutorial"][0] and word.y_min < first["Badges:"][1]
    ]
    pointer = "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"
    assert " ".join(left_column) == (
        f"Install guide Steps for every platform. {pointer} the installation page"
    )
    assert first[pointer][1] > first["Steps"][1]

    with zipfile.ZipFile(out / "epub" / "demo.epub") as epub:
        chapter = etree.fromstring(epub.read("EPUB/index.xhtml"))
        css = epub.read("EPUB/_static/triptych-epub.css").decode()
    matcher = cssselect2.Matcher()
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            continue
        declarations = tinycss2.serialize(rule.content)
        for selector in cssselect2.compile_selector_list(rule.prelude):
            matcher.add_selector(selector, declarations)

    def declared(element: cssselect2.ElementWrapper) -> str:
        return " ".join(payload for *_rest, payload in matcher.match(element))

    root = cssselect2.ElementWrapper.from_xml_root(chapter)
    cards = [element for element in root.iter_subtree() if "sd-card" in element.classes]
    assert len(cards) == 2
    assert all("border:" in declared(card) for card in cards)
    titles = [element for element in root.iter_subtree() if "sd-card-title" in element.classes]
    assert all("font-weight: bold" in declared(title) for title in titles)
    (badge,) = [element for element in root.iter_subtree() if "sd-badge" in element.classes]
    assert "border:" in declared(badge)
