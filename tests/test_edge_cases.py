"""Publications at the edges: wrapped terms, non-Latin terms in two glossaries, stale outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lxml import html

from outputs import Epub
from triptych import cli
from triptych.checks.audit import audit_editions, report

CONF = 'project = "Edges"\nextensions = ["triptych"]\nnumfig = True\n'
INDEX = "# Edges\n\n```{toctree}\narticle\nglossary\npeople\n```\n"
ARTICLE = """# Article

The Collective Security
Treaty Organization (CSTO) is named in full, across two lines. Shared command and
control matters. The Союз is one name; Лукашенко is another.

## Term limits

A section whose id happens to start with "term-".
"""
GLOSSARY = """# Glossary

```{glossary}
CSTO
Collective Security Treaty Organization
  A military alliance.

C2
Command and control
  Who decides and how orders travel.

Союз
  A union.
```
"""
PEOPLE = """# People

```{glossary}
Лукашенко
  A president.
```
"""


def write_publication(source: Path) -> None:
    source.mkdir(parents=True)
    for name, text in (("conf.py", CONF), ("index.md", INDEX), ("article.md", ARTICLE),
                       ("glossary.md", GLOSSARY), ("people.md", PEOPLE)):  # fmt: skip
        (source / name).write_text(text, encoding="utf-8")


def visible(page: Path) -> str:
    tree = html.parse(str(page))
    for previews in tree.xpath("//div[contains(@class, 'triptych-term-previews')]"):
        previews.drop_tree()
    return " ".join(tree.xpath("string(//body)").split())


def test_wrapped_and_non_latin_terms(tmp_path: Path) -> None:
    write_publication(tmp_path / "src")
    out = tmp_path / "out"
    # -W: every term is found, so none is reported unused.
    assert cli.main(["build", str(tmp_path / "src"), "-o", str(out), "-W", "-q"]) == 0
    text = visible(out / "html" / "article.html")
    assert "Collective Security Treaty Organization (CSTO) is named in full" in text
    assert "Organization (Collective" not in text
    # The full name wrapped across lines is found and linked; no expansion is needed.
    assert "Shared command and control matters" in text
    links = html.parse(str(out / "html" / "article.html")).xpath("//a/@href")
    assert "glossary.html#term-Command-and-control" in links
    people = html.parse(str(out / "html" / "people.html"))
    assert people.xpath("//p[@class='triptych-backrefs']//a/@href") == ["article.html#term-0-use-2"]
    glossary = html.parse(str(out / "html" / "glossary.html"))
    union = glossary.xpath(
        "//dt[@id='term-0']/following-sibling::dd[1]//p[@class='triptych-backrefs']//a/@href"
    )
    assert union == ["article.html#term-0-use-1"]
    table, passed = report(audit_editions(out))
    assert passed, table


def test_outputs_of_a_previous_build_do_not_linger(rootdir: Path, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for item in (rootdir / "test-noconf").iterdir():
        (source / item.name).write_bytes(item.read_bytes())
    out = tmp_path / "out"
    build = ["build", str(source), "-o", str(out), "-W", "-q"]
    assert cli.main(build) == 0
    assert (out / "pdf" / "articles" / "a-first.pdf").is_file()
    # An article added to a folder without conf.py joins the publication.
    (source / "d-fourth.md").write_text("# Fourth notes\n\nA late addition.\n")
    assert cli.main([*build, "-D", "triptych_article_pdfs=0"]) == 0
    epub = Epub.open(next((out / "epub").glob("*.epub")))
    assert epub.spine[-1] == "EPUB/d-fourth.xhtml"
    # Article PDFs switched off: none left behind, none offered by the site.
    assert not (out / "pdf" / "articles").exists()
    assert not (out / "html" / "_downloads" / "articles").exists()
    assert "this article" not in visible(out / "html" / "a-first.html")


def test_a_mistyped_pdf_variant_is_one_clear_line(rootdir: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("triptych")), "build", str(rootdir / "test-basic"),
         "-o", str(tmp_path / "out"), "-f", "pdf", "-D", "triptych_pdf_variant=pdf/ua1"],
        capture_output=True, text=True, check=False, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "triptych_pdf_variant = 'pdf/ua1': choose one of" in line
