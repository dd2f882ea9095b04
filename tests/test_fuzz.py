"""Fuzzing ``triptych build`` with random MyST articles.

Whatever the articles hold, a build ends one of two ways: every requested
edition is published, or the build fails with messages that each name the file
(and line) they concern. Never a traceback, never the CLI's "unexpected
<Exception>" line, never a hang.

Half the publications are *clean*: only constructs that should build without a
warning, so that ``-W`` builds reach every builder. The others mix in what
authors get wrong: undefined terms and labels, unknown roles and directives,
missing images, unclosed fences, malformed front matter, stray HTML, control
characters.

Every build runs ``triptych build`` in this process, with ``-W`` in three
publications out of four; the PDF, the EPUB and the site each get built to the
end in a good share of examples (``--hypothesis-show-statistics`` counts them).

``TRIPTYCH_FUZZ_EXAMPLES=300`` runs more examples than the suite's default. Under
``CI`` the examples are derandomized, so ``CI=1 pytest tests/test_fuzz.py``
reproduces a failure seen there.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import io
import os
import re
import signal
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

import pytest
from docutils import nodes
from docutils.parsers.rst import directives, roles
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st
from sphinx.deprecation import RemovedInSphinx11Warning
from sphinx.util.docutils import additional_nodes

from triptych import cli

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

#: Seconds one build may take before it counts as a hang (a clean one takes about one).
TIME_LIMIT = 60
MAX_EXAMPLES = int(os.environ.get("TRIPTYCH_FUZZ_EXAMPLES", "25"))

CONF = """\
extensions = ["triptych"]
project = "Fuzz"
myst_enable_extensions = ["colon_fence", "deflist"]
"""
GLOSSARY = """\
# Glossary

```{glossary}
API
Application programming interface
  How programs talk to each other.

Widget
  A small part of an interface.
```
"""
# index.md uses every glossary entry, so that no article has to for a clean build
# (uses in a glossary's own article do not count).
INDEX = """\
# Fuzz

On the {{term}}`API` and a {{term}}`widget`.{uses}

(about)=
## About

```{{toctree}}
{entries}
```
"""
SQUARE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120">'
    '<rect x="10" y="10" width="100" height="100" fill="#1a3d6d"/></svg>\n'
)
ARTICLE_NAMES = ("alpha", "beta", "gamma")
EDITION_FILES = {"pdf": "pdf/fuzz.pdf", "epub": "epub/fuzz.epub", "html": "html/index.html"}

DEFINED_TERMS = ["API", "Application programming interface", "widget", "Widget"]
UNDEFINED_TERMS = ["gadget", "Widgets", "api", "undefined thing", "x <nowhere>", "", "`"]
CLEAN_WORDS = [
    "the", "a", "widget", "API", "glossary", "interface", "Ünïcödé", "Ελλάδα", "Кириллица",
]  # fmt: skip
NOISY_WORDS = [
    "中文", "עברית", "العربية", "\U0001f600", "\u202eevil", "a\u0301\u0489", "\x00", "\x0c", "\u2028",
    "\uffff", "\ufdd0",  # noncharacters: valid UTF-8, not valid XML
]  # fmt: skip

# Clean text stays within what the bundled fonts draw (Latin, Greek, Cyrillic), and
# away from ASCII punctuation, which could spell markup that warns by accident.
CLEAN_TEXT = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x236, categories=("Lu", "Ll", "Nd", "Zs")),
    st.characters(min_codepoint=0x391, max_codepoint=0x3C9, categories=("Lu", "Ll")),
    st.characters(min_codepoint=0x400, max_codepoint=0x513, categories=("Lu", "Ll")),
    st.sampled_from("\u00a0\u00ad\u200b\u200d\u2060\u0301"),  # invisible and combining
)
# Anything a UTF-8 file can hold: control characters, unassigned code points, markup.
ANY_TEXT = st.one_of(
    st.characters(codec="utf-8"), st.sampled_from("`*_[](){}<>#:|\\!&~$^-+=.\"'\t\r\x0b")
)


@dataclass
class Article:
    """What the generator knows while it writes one article."""

    clean: bool
    docname: str
    articles: tuple[str, ...]
    labels: list[str] = field(default_factory=lambda: ["about"])
    """Labels defined so far in the publication."""
    terms: list[str] = field(default_factory=list)
    """Glossary terms the articles define, besides those of glossary.md."""
    level: int = 1
    footnotes: int = 0
    pending_footnotes: list[int] = field(default_factory=list)

    @property
    def others(self) -> list[str]:
        return [name for name in self.articles if name != self.docname] or [self.docname]

    def new_label(self, draw: st.DrawFn) -> str:
        if self.clean:  # unique, so no "duplicate label" warning
            name = f"{self.docname}-{len(self.labels)}"
        else:
            name = draw(st.sampled_from(["intro", "details", "about", "x y", "glossary", "Ünï"]))
        self.labels.append(name)
        return name


def pick(draw: st.DrawFn, article: Article, good: list[str], bad: list[str]) -> str:
    """One of *good*; in a noisy article, one of *good* or *bad*."""
    return draw(st.sampled_from(good if article.clean else good + bad))


def fence_for(content: str, char: str, length: int | None = None) -> str:
    """A fence longer than any fence of *char* inside *content*, unless *length* is forced."""
    runs = re.findall(rf"^\s*({re.escape(char)}{{3,}})", content, re.MULTILINE)
    return char * (length or max([3, *(len(run) + 1 for run in runs)]))


@st.composite
def words(draw: st.DrawFn, article: Article) -> str:
    vocabulary = CLEAN_WORDS if article.clean else CLEAN_WORDS + NOISY_WORDS
    chars = CLEAN_TEXT if article.clean else ANY_TEXT
    parts = draw(
        st.lists(
            st.one_of(st.sampled_from(vocabulary), st.text(chars, min_size=1, max_size=8)),
            max_size=5,
        )
    )
    # The text stays on one line: a line break would end its heading or table cell.
    return re.sub(r"[\r\n]", " ", " ".join(parts))


# Inline markup: each maker draws one span of a paragraph.


def emphasis(draw: st.DrawFn, article: Article, text: str) -> str:
    return draw(st.sampled_from([f"*{text}*", f"**{text}**", f"`{text.replace('`', '')}`"]))


def term(draw: st.DrawFn, article: Article, text: str) -> str:
    name = pick(draw, article, DEFINED_TERMS + article.terms, UNDEFINED_TERMS)
    return pick(draw, article, [f"{{term}}`{name}`", f"{{term}}`{text} <{name}>`"], [])


def ref(draw: st.DrawFn, article: Article, text: str) -> str:
    label = pick(draw, article, article.labels, ["nowhere", "About", "glossary", "x y"])
    # A label on a paragraph has no title of its own: clean references give one.
    return pick(draw, article, [f"{{ref}}`{text} <{label}>`"], [f"{{ref}}`{label}`"])


def doc(draw: st.DrawFn, article: Article, text: str) -> str:
    other = draw(st.sampled_from(article.others))
    return pick(
        draw, article,
        [f"{{doc}}`{other}`", f"{{doc}}`{text} <{other}>`", "{doc}`glossary`"],
        ["{doc}`nowhere`", "{doc}`/glossary`", "{doc}`../conf`", "{doc}`index`"],
    )  # fmt: skip


def link(draw: st.DrawFn, article: Article, text: str) -> str:
    other = draw(st.sampled_from(article.others))
    # "#label" is looked up in this article only (a clean label starts with its article's name).
    local = [label for label in article.labels if label.startswith(f"{article.docname}-")]
    label = draw(
        st.sampled_from(local if article.clean else article.labels) if local else st.none()
    )
    return pick(
        draw, article,
        [f"[{text}]({other}.md)", f"[{text}](https://example.org/{other})",
         "<https://example.org/>", f"[{text}](mailto:ada@example.org)",
         *([f"[{text}](#{label})"] if label else [])],
        [f"[{text}](nowhere.md)", f"[{text}]({other}.md#nowhere)", f"[{text}]()", "[x][undefined]",
         f"[{text}](javascript:alert(1))", f"[{text}](#nowhere)", f"[{text}](file:///etc/hostname)",
         f"[{text}](figures/square.svg)", f"[{text}](../outside.md)", "[x](<>)"],
    )  # fmt: skip


def image(draw: st.DrawFn, article: Article, text: str) -> str:
    return pick(
        draw, article,
        ["![A square](figures/square.svg)"],
        ["![](figures/square.svg)", "![gone](figures/missing.png)", "![outside](/etc/hostname)",
         "![remote](https://example.org/a.png)", "![up](../square.svg)", "![dir](figures)",
         "![data](data:image/png;base64,iVBORw0KGgo=)", "![svg](data:image/svg+xml,<svg/>)"],
    )  # fmt: skip


def inline_html(draw: st.DrawFn, article: Article, text: str) -> str:
    return pick(
        draw, article,
        ["<b>bold</b>", "<br>", "<span class='x'>span</span>", "&amp;", "&eacute;"],
        ["<script>alert(1)</script>", "<img src='figures/missing.png'>", "<a href='#nowhere'>a</a>",
         "<img src='https://example.org/a.png'>", "<span", "</div>", "&nosuch;", "&#0;", "&#xD800;",
         "<img src='file:///etc/hostname'>", "<a href='nowhere.html'>a</a>", "<p>"],
    )  # fmt: skip


def other_role(draw: st.DrawFn, article: Article, text: str) -> str:
    return pick(
        draw, article,
        ["{sub}`2`", "{sup}`2`", "{abbr}`API (Application programming interface)`", "H{sub}`2`O"],
        [f"{{nosuchrole}}`{text}`", "{numref}`nowhere`", "{math}`x^2`", "{ref}`", "{eq}`nowhere`",
         "{download}`missing.zip`", "{download}`figures/square.svg`", "{sub}``", "{kbd}`Ctrl+C`",
         "{term}`API` {term}`API`", "{numref}`about`", "{any}`widget`", "{std:term}`API`",
         "{py:func}`f`"],
    )  # fmt: skip


def footnote(draw: st.DrawFn, article: Article, text: str) -> str:
    article.footnotes += 1
    article.pending_footnotes.append(article.footnotes)
    return f"[^f{article.footnotes}]"


def stray(draw: st.DrawFn, article: Article, text: str) -> str:
    if article.clean:
        return text
    marks = ["[^nowhere]", "\\", "`", "*", "**", "{", "}", "(x)=", "$x$", "{term}", "<", "|", "~~"]
    return draw(st.sampled_from(marks))


INLINE: list[Callable[[st.DrawFn, Article, str], str]] = [
    emphasis, term, ref, doc, link, image, inline_html, other_role, footnote, stray,
]  # fmt: skip


@st.composite
def paragraph(draw: st.DrawFn, article: Article) -> str:
    spans = []
    for _ in range(draw(st.integers(1, 6))):
        text = draw(words(article)) or "text"
        maker = draw(st.sampled_from([None, None, None, *INLINE]))
        spans.append(text if maker is None else maker(draw, article, text))
    text = " ".join(spans)
    # Footnote definitions follow; a noisy article may forget one.
    for number in article.pending_footnotes:
        if article.clean or draw(st.integers(0, 3)):
            text += f"\n\n[^f{number}]: {draw(words(article)) or 'A note.'}"
    article.pending_footnotes.clear()
    return text + "\n"


# Blocks.


@st.composite
def heading(draw: st.DrawFn, article: Article) -> str:
    # Clean headings go down one level at a time; noisy ones skip, and seven hashes are text.
    top = min(article.level + 1, 6)
    level = draw(st.integers(2, top) if article.clean else st.integers(1, 7))
    article.level = level
    title = draw(words(article)) or ("Section" if article.clean else "")
    # Markup in titles reaches the contents, the PDF bookmarks and the EPUB nav.
    maker = draw(st.sampled_from([None, None, emphasis, term, ref, doc, link, footnote]))
    if maker is footnote:
        article.pending_footnotes.clear()  # a title cannot carry the definition
        maker = None if article.clean else footnote
    if maker is not None:
        title = f"{title} {maker(draw, article, title or 'text')}"
    label = f"({article.new_label(draw)})=\n" if draw(st.booleans()) else ""
    return f"{label}{'#' * level} {title}".rstrip() + "\n"


@st.composite
def code_fence(draw: st.DrawFn, article: Article) -> str:
    char = draw(st.sampled_from("`~"))
    # Random text is rarely valid Python or JSON: lexers that fail warn, so not in clean articles.
    language = pick(draw, article, ["", "text"], ["python", "json", "nosuchlexer", "{nosuch}"])
    body = draw(st.text(CLEAN_TEXT if article.clean else ANY_TEXT, max_size=80))
    fence = fence_for(body, char)
    closed = article.clean or draw(st.integers(0, 4)) > 0
    return f"{fence}{language}\n{body}\n{fence if closed else ''}\n"


@st.composite
def table(draw: st.DrawFn, article: Article) -> str:
    columns = draw(st.integers(1, 4))

    def row(width: int) -> str:
        return "| " + " | ".join(draw(words(article)).replace("|", "") for _ in range(width)) + " |"

    align = "|" + "|".join(
        draw(st.sampled_from(["---", ":--", "--:", ":-:"])) for _ in range(columns)
    )
    rows = [row(columns if article.clean else draw(st.integers(0, columns + 2)))]
    rows += [row(columns) for _ in range(draw(st.integers(0, 3)))]
    return "\n".join([row(columns), align + "|", *rows]) + "\n"


@st.composite
def raw_html(draw: st.DrawFn, article: Article) -> str:
    return pick(
        draw, article,
        ["<div class='box'>\n\nInside a box.\n\n</div>\n", "<!-- a comment -->\n",
         "<p>A raw paragraph.</p>\n"],
        ["<div>\nunclosed\n", "<script>\nalert(1)\n</script>\n",
         "<style>body{display:none}</style>\n",
         "<img src='figures/missing.png'>\n", "<iframe src='https://example.org'></iframe>\n",
         "<table><tr><td>x</td></tr>\n", "<a id='about'></a>\n", "<?xml version='1.0'?>\n",
         "<link rel='stylesheet' href='https://example.org/a.css'>\n", "<!-- unclosed comment\n",
         "<object data='file:///etc/hostname'></object>\n", "<img src='file:///etc/hostname'>\n",
         "<svg><image href='/etc/hostname'/></svg>\n", "<a href='#document-alpha'>x</a>\n"],
    )  # fmt: skip


ODD_BLOCKS = [
    "---\n", "***\n", "(loose-label)=\n", "[undefined]: \n", "$$\nx\n$$\n", "#\n",
    "[^orphan]: A footnote nobody cites.\n", "```{nosuch\n```\n", ":::\n:::\n", "```{toctree}\n",
    "\tindented code\n", "(about)=\n", "(Ünï code)=\n",
]  # fmt: skip


@st.composite
def odd_block(draw: st.DrawFn, article: Article) -> str:
    """A block a clean article has no use for: breaks, stray targets, math, bare text."""
    if article.clean:
        return draw(paragraph(article))
    if draw(st.booleans()):
        return draw(st.sampled_from(ODD_BLOCKS))
    return draw(st.text(ANY_TEXT, max_size=40)) + "\n"


TERM_LETTERS = st.one_of(
    st.characters(min_codepoint=0x41, max_codepoint=0x24F, categories=("Lu", "Ll")),
    st.characters(min_codepoint=0x391, max_codepoint=0x3C9, categories=("Lu", "Ll")),
    st.characters(min_codepoint=0x400, max_codepoint=0x4FF, categories=("Lu", "Ll")),
)
ODD_TERMS = ["C++", "a.b", "(x)", "*", "Widget", "widget", "API", "x <y>", "term-0", ":", "\\"]


@st.composite
def glossary(draw: st.DrawFn, article: Article) -> str:
    """A glossary in an article: new terms, which index.md uses, and in a noisy one odd terms."""
    known = {name.lower() for name in DEFINED_TERMS + article.terms}
    entries = []
    for _ in range(draw(st.integers(1, 3))):
        if article.clean:
            spellings = [" ".join(draw(st.lists(st.text(TERM_LETTERS, min_size=1), min_size=1)))]
            if draw(st.booleans()):  # an abbreviation and its expansion
                spellings = [draw(st.text("ABCDEFXYZ", min_size=2, max_size=5)), *spellings]
            if any(spelling.lower() in known for spelling in spellings):
                continue
        else:
            spellings = draw(
                st.lists(
                    st.one_of(st.sampled_from(ODD_TERMS), words(article)), min_size=1, max_size=3
                )
            )
        known.update(spelling.lower() for spelling in spellings)
        article.terms.append(spellings[0])
        body = draw(words(article)) or "A definition."
        entries.append("\n".join([*spellings, f"  {body}"]))
    if not entries:
        return draw(paragraph(article))
    return "```{glossary}\n" + "\n\n".join(entries) + "\n```\n"


@st.composite
def definition(draw: st.DrawFn, article: Article) -> str:
    return f"{draw(words(article)) or 'Term'}\n: {draw(words(article)) or 'Its definition.'}\n"


# Directives: each maker gives (argument, options, content).

DirectiveParts = tuple[str, str, str]


def admonition(draw: st.DrawFn, article: Article, name: str, depth: int) -> DirectiveParts:
    titled = name in {"admonition", "topic", "sidebar"}
    title = (draw(words(article)) or ("Title" if article.clean else "")) if titled else ""
    # An epigraph ignores :name:, so a label there would be undefined.
    named = name != "epigraph" and draw(st.booleans())
    options = f":name: {article.new_label(draw)}\n" if named else ""
    return title, options, draw(blocks(article, depth + 1, headings=not article.clean))


def figure(draw: st.DrawFn, article: Article, name: str, depth: int) -> DirectiveParts:
    path = pick(
        draw, article,
        ["figures/square.svg"],
        ["figures/missing.svg", "", "https://example.org/x.png", "/etc/hostname", "../square.svg",
         "figures", "figures/square.svg extra", "/figures/square.svg"],
    )  # fmt: skip
    options = pick(
        draw, article,
        [":alt: A square\n", ":alt: A square\n:width: 50%\n"],
        ["", ":alt:\n", ":width: -3px\n", ":nosuch: x\n", ":align: nowhere\n"],
    )  # fmt: skip
    if draw(st.booleans()):
        options += f":name: {article.new_label(draw)}\n"
    caption = (draw(words(article)) or "A caption.") if name == "figure" else ""
    return path, options, caption


def list_table(draw: st.DrawFn, article: Article, name: str, depth: int) -> DirectiveParts:
    columns = draw(st.integers(1, 3))
    rows: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        width = columns if article.clean else draw(st.integers(0, 3))
        cells = [f"  - {draw(words(article)) or 'cell'}" for _ in range(width)]
        rows.append("* " + "\n".join(cells)[2:] if cells else "*")
    # A header row needs a body row below it.
    header = [":header-rows: 1\n"] if len(rows) > 1 else []
    options = pick(draw, article, ["", *header], [":header-rows: 9\n", ":widths: 1 2\n"])
    return draw(words(article)), options, "\n".join(rows)


def code_block(draw: st.DrawFn, article: Article, name: str, depth: int) -> DirectiveParts:
    language = pick(draw, article, ["text", "none"], ["", "python", "nosuchlexer", "json"])
    options = pick(draw, article, ["", ":linenos:\n"], [":emphasize-lines: 9\n", ":caption:\n"])
    return language, options, draw(st.text(CLEAN_TEXT if article.clean else ANY_TEXT, max_size=60))


def noisy_directive(draw: st.DrawFn, article: Article, name: str, depth: int) -> DirectiveParts:
    """Arguments and content for directives a clean article does not use."""
    choices: dict[str, tuple[list[str], list[str]]] = {
        "glossary": ([""], ["Widget\n  Again.", "Gadget\n  New.", "", "no indent", "API\n\n  x",
                            "  indented first", ":sorted:\n\nB\n  b.\nA\n  a."]),
        "toctree": ([""], ["\n".join(article.articles), "glossary", "nowhere", article.docname,
                           "index", ":glob:\n\n*", ":maxdepth: x\n\nglossary", ":hidden:\n"]),
        "include": (["glossary.md", "nowhere.md", "/etc/hostname", "conf.py", "",
                     f"{article.docname}.md", "figures/square.svg", "../src/index.md"], [""]),
        "raw": (["html", "latex", "", "epub"], ["<div>", "<img src='x.png'>", "<p>ok</p>", ""]),
        "csv-table": (["", "Numbers"], ['a,b\n1,2', 'a,"b\n1', "", "a\n1,2,3"]),
        "math": ([""], ["x^2", "\\frac{1", "", "\\begin{align}x\\end{align}"]),
        "eval-rst": ([""], ["`broken", ".. nosuch::", "*ok*", ".. include:: /etc/hostname",
                            "Title\n===\n\nText", ".. raw:: html\n\n   <b>x</b>",
                            ".. |x| image:: y"]),
        "contents": (["", "Contents"], ["", ":depth: 0\n"]),
        "only": (["html", "builder_pdf", "not", "", "latex"], [""]),
    }  # fmt: skip
    arguments, contents = choices.get(name, ([draw(words(article))], [""]))
    content = draw(st.sampled_from(contents))
    if name == "only" or (name not in choices and draw(st.booleans())):
        content = draw(blocks(article, depth + 1, headings=True))
    return draw(st.sampled_from(arguments)), "", content


DIRECTIVES: dict[str, Callable[[st.DrawFn, Article, str, int], DirectiveParts]] = {
    "note": admonition, "warning": admonition, "admonition": admonition, "epigraph": admonition,
    "figure": figure, "list-table": list_table, "code-block": code_block,
}  # fmt: skip
NOISY_DIRECTIVES = [
    "nosuch", "glossary", "toctree", "include", "math", "image", "raw", "csv-table", "sidebar",
    "only", "eval-rst", "contents", "rubric", "tip", "note ", "NOTE", "std:glossary", "topic",
]  # fmt: skip


@st.composite
def directive(draw: st.DrawFn, article: Article, depth: int) -> str:
    name = pick(draw, article, list(DIRECTIVES), NOISY_DIRECTIVES)
    maker: Callable[[st.DrawFn, Article, str, int], DirectiveParts]
    if name == "image":
        maker = figure
    elif name in {"sidebar", "tip", "topic"}:  # a topic may not nest: not clean
        maker = admonition
    else:
        maker = DIRECTIVES.get(name, noisy_directive)
    argument, options, content = maker(draw, article, name, depth)
    if options and not article.clean and draw(st.booleans()):
        options = "---\n" + re.sub(r"^:([\w-]+):", r"\1:", options, flags=re.MULTILINE) + "---\n"
    body = f"{options}\n{content}".strip("\n") if options else content
    char = draw(st.sampled_from("`:")) if name != "eval-rst" else "`"
    # A noisy article may nest fences of one length, which closes the outer one early.
    length = 3 if not article.clean and draw(st.integers(0, 5)) == 0 else None
    fence = fence_for(body, char, length)
    return f"{fence}{{{name}}} {argument}".rstrip() + f"\n{body}\n{fence}\n"


@st.composite
def bullet_list(draw: st.DrawFn, article: Article, depth: int) -> str:
    numbered = draw(st.booleans())
    items = []
    for number in range(1, draw(st.integers(1, 4)) + 1):
        marker = f"{number}. " if numbered else draw(st.sampled_from(["- ", "* ", "+ "]))
        content = draw(blocks(article, depth + 1, headings=not article.clean))
        first, *rest = content.rstrip("\n").split("\n")
        indent = " " * len(marker)
        items.append("\n".join([marker + first, *(indent + line if line else "" for line in rest)]))
    return "\n".join(items) + "\n"


@st.composite
def block_quote(draw: st.DrawFn, article: Article, depth: int) -> str:
    content = draw(blocks(article, depth + 1, headings=not article.clean))
    return "\n".join(f"> {line}".rstrip() for line in content.rstrip("\n").split("\n")) + "\n"


def blocks(article: Article, depth: int, *, headings: bool = True) -> st.SearchStrategy[str]:
    """A few blocks separated by blank lines; containers nest until *depth* reaches 3."""
    leaves = [
        paragraph(article), paragraph(article), code_fence(article), table(article),
        raw_html(article), definition(article), odd_block(article), glossary(article),
    ]  # fmt: skip
    if headings:
        leaves += [heading(article), heading(article)]
    containers = (
        [directive(article, depth), bullet_list(article, depth), block_quote(article, depth)]
        if depth < 3
        else []
    )
    return st.lists(st.one_of(*leaves, *containers), min_size=1, max_size=4).map("\n".join)


@st.composite
def front_matter(draw: st.DrawFn, article: Article) -> str:
    return pick(
        draw, article,
        ["", "", "---\nauthor: Ada\nkeywords: [a, b]\n---\n"],
        ["---\n[unclosed\n---\n", "---\n- a list\n---\n", "---\n---\n",
         "---\ntitle: never closed\n",
         "---\norphan: true\n---\n", "---\nmyst:\n  enable_extensions: [nosuch]\n---\n",
         "---\nmyst:\n  heading_anchors: two\n---\n", "---\ntocdepth: -1\n---\n",
         "---\nhtml_meta:\n  description: [1, 2]\n---\n", "---\n\ttab: x\n---\n",
         "---\nnocomments: !!python/object:os.system x\n---\n", "---\n: :\n---\n",
         "---\nmyst:\n  substitutions:\n    x: '{{'\n---\n", "---\nauthor: &a [*a]\n---\n"],
    )  # fmt: skip


@st.composite
def article_text(draw: st.DrawFn, article: Article) -> str:
    text = draw(front_matter(article))
    if article.clean or draw(st.integers(0, 5)):
        text += f"# {draw(words(article)).strip() or article.docname.title()}\n\n"
    return text + draw(blocks(article, 0))


@dataclass(frozen=True)
class Publication:
    clean: bool
    """Written to build without a warning."""
    articles: dict[str, str]
    terms: tuple[str, ...]
    """Terms the articles' glossaries define."""
    formats: str
    fail_on_warning: bool


@st.composite
def publications(draw: st.DrawFn) -> Publication:
    clean = draw(st.booleans())
    names = ARTICLE_NAMES[: draw(st.integers(1, len(ARTICLE_NAMES)))]
    # Labels and terms are shared: articles refer to each other's.
    labels, terms = ["about"], list[str]()
    texts = {name: draw(article_text(Article(clean, name, names, labels, terms))) for name in names}
    # The PDF is the slow edition; all three are built in a third of the examples.
    formats = draw(
        st.sampled_from(["pdf,epub,html", "pdf", "epub,html", "html", "epub", "pdf,html"])
    )
    # Without -W, a publication with warnings still reaches every builder.
    fail_on_warning = draw(st.integers(0, 3)) > 0
    return Publication(clean, texts, tuple(terms), formats, fail_on_warning)


def write_publication(source: Path, publication: Publication) -> None:
    (source / "figures").mkdir(parents=True)
    (source / "figures" / "square.svg").write_text(SQUARE, encoding="utf-8")
    (source / "conf.py").write_text(CONF, encoding="utf-8")
    (source / "glossary.md").write_text(GLOSSARY, encoding="utf-8")
    entries = "\n".join([*publication.articles, "glossary"])
    uses = "".join(f" Also {{term}}`{term}`." for term in publication.terms)
    (source / "index.md").write_text(INDEX.format(entries=entries, uses=uses), encoding="utf-8")
    for name, text in publication.articles.items():
        (source / f"{name}.md").write_text(text, encoding="utf-8")


# Running a build.


class HangError(BaseException):
    """Raised from SIGALRM; a BaseException, so the CLI's ``except Exception`` cannot report it."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail what runs inside after *seconds*, so that a hang fails the test instead of CI."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise HangError(f"the build took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    # A hang in C code never returns to Python for the alarm to fire: then end the run.
    faulthandler.dump_traceback_later(seconds * 2, exit=True, file=sys.__stderr__ or 2)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def unraisable_to_stderr() -> Iterator[None]:
    """Print exceptions raised in finalisers to sys.stderr, as Python does for the CLI."""
    previous = sys.unraisablehook
    sys.unraisablehook = sys.__unraisablehook__  # pytest's hook would turn them into warnings
    try:
        yield
    finally:
        sys.unraisablehook = previous


def docutils_state() -> tuple[object, ...]:
    """docutils' process-wide registries, which every build must leave as it found them."""
    return (
        dict(directives._directives),  # type: ignore[attr-defined]
        dict(roles._roles),  # type: ignore[attr-defined]
        set(additional_nodes),
        {name for name in dir(nodes.GenericNodeVisitor) if name.startswith(("visit_", "depart_"))},
    )


@dataclass(frozen=True)
class Outcome:
    status: int
    stderr: str
    source: Path
    output: Path


def build(publication: Publication, folder: Path) -> Outcome:
    """Run ``triptych build`` in this process on *publication*, written into *folder*."""
    source, output = folder / "src", folder / "out"
    write_publication(source, publication)
    argv = ["build", str(source), "-o", str(output), "-f", publication.formats, "-q"]
    if publication.fail_on_warning:
        argv.append("-W")
    stderr = io.StringIO()
    # Sphinx writes warnings to the sys.stderr the CLI hands it when it creates the application.
    with (
        # Plain messages, also under CI=1, where Sphinx would colour them.
        mock.patch.dict(os.environ, {"NO_COLOR": "1"}),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(stderr),
        unraisable_to_stderr(),
        warnings.catch_warnings(),
        time_limit(TIME_LIMIT),
    ):
        # As pyproject.toml's filter for myst-parser: its {include} reads the deprecated env.app.
        warnings.filterwarnings(
            "ignore", category=RemovedInSphinx11Warning, module=r"myst_parser\."
        )
        try:
            status = cli.main(argv)
            # What the build left for the collector is finalised now, as it is when the CLI exits.
            gc.collect()
        except HangError as hang:
            pytest.fail(f"{hang}; stderr so far:\n{stderr.getvalue()}")
    return Outcome(status, stderr.getvalue(), source, output)


#: A message line: a path of the publication or its output folder, a line when known,
#: then a level as Sphinx writes it (WARNING, ERROR, ...) or as the CLI does (error).
LOCATED = re.compile(r"(?P<path>/[^:\n]*)(?::\d+)?: (?:WARNING|ERROR|CRITICAL|SEVERE|error): \S")


#: The CLI's line for an exception it did not expect (cli.describe).
UNEXPECTED = re.compile(r": error: unexpected \w+: ")
#: The console's count of problems of one kind past the first few, each of them located.
GROUPED = re.compile(r"^\.\.\. and \d+ more like this: ")


def problems(publication: Publication, outcome: Outcome) -> list[str]:
    """What keeps *outcome* from being editions or a clear failure; empty when it is."""
    found = []
    for line in outcome.stderr.split("\n"):  # not splitlines(): messages quote \f, \x1c, ...
        if "Traceback" in line or UNEXPECTED.search(line):
            found.append(f"unhandled: {line}")
        elif line.strip() and not GROUPED.match(line):
            located = LOCATED.match(line)
            if located is None:
                found.append(f"not a located message: {line}")
            elif not any(
                Path(located["path"]).is_relative_to(root)
                for root in (outcome.source, outcome.output)
            ):
                found.append(f"located outside the publication: {line}")
    if outcome.status == 0:
        if publication.fail_on_warning and outcome.stderr:
            found.append("status 0 under -W, yet messages")
        found += [
            f"status 0, but no {edition} edition"
            for edition in publication.formats.split(",")
            if not (outcome.output / EDITION_FILES[edition]).is_file()
        ]
    elif outcome.status not in {1, 2}:
        found.append(f"status {outcome.status}")
    elif not outcome.stderr.strip():
        found.append(f"status {outcome.status} without a message")
    return found


@pytest.mark.slow
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # No explain phase: it builds the failing example a hundred more times.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
@given(publication=publications())
def test_random_articles_build_or_fail_clearly(publication: Publication) -> None:
    assert os.environ.get("SOURCE_DATE_EPOCH"), "tests/conftest.py pins the build date"
    for name, text in publication.articles.items():
        note(f"--- {name}.md ---\n{text}")
    note(f"terms used by index.md: {publication.terms}")
    before = docutils_state()
    with tempfile.TemporaryDirectory() as folder:
        outcome = build(publication, Path(folder))
        note(f"status {outcome.status}; stderr:\n{outcome.stderr}")
        # --hypothesis-show-statistics tells how often each builder got to finish.
        event(f"status {outcome.status}")
        for edition, path in EDITION_FILES.items():
            if (outcome.output / path).is_file():
                event(f"{edition} edition built")
        assert problems(publication, outcome) == []
    assert docutils_state() == before, "a build left docutils' registries changed"
