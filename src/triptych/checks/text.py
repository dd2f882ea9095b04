"""The text audit: every word the author wrote reaches every edition, in the order written.

The oracle is docutils' own reading of the sources: the doctrees the build
saved in ``OUTDIR/doctrees/`` after reading, before any edition resolved,
transformed or wrote them. From each one the audit takes the words a reader
is meant to read, in reading order, with the file and line they were written
on, and looks for them, as normalised word tokens, in each edition's text of
that document: the site's page, the EPUB's chapter, the PDF's pages from the
document's first page to the next document's. Additions anywhere are allowed
(expansions of abbreviations, "Used in …", page references, running heads);
a word that is absent, or out of order, is missing.

Nothing here renders or links: the editions' writers and triptych's glossary
are what is audited, so the audit reads doctrees with docutils alone and the
editions as files. What an edition deliberately prints elsewhere or in its own
words is declared by the builders (:mod:`triptych.builders.text_changes`).
"""

from __future__ import annotations

import difflib
import itertools
import pickle
import re
import shutil
import subprocess
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from docutils.utils import get_source_line
from lxml import etree, html
from sphinx import addnodes
from sphinx.util import docname_join
from sphinx.util.tags import Tags

from triptych.builders.text_changes import (
    ARTICLES,
    ASIDES,
    BUILDER,
    DRAWN,
    EPUB,
    LABELLED_CALLS,
    MOVABLE,
    PDF,
    REPLACED,
    SITE,
    Replaced,
)
from triptych.checks.audit import epub_documents
from triptych.documents import UNWRITTEN, unwritten_nodes

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator, Sequence

EDITION_NAMES = {
    SITE: "the site",
    PDF: "the PDF",
    EPUB: "the EPUB",
    ARTICLES: "the article's PDF",
}

#: The longest quotation of a missing passage, in words.
EXCERPT_WORDS = 12

_WORD = re.compile(r"\w+")
#: Characters that join or split nothing a reader sees: soft hyphen, zero-width ones.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
#: What WeasyPrint prints where it hyphenates a word at the end of a line.
_LINE_END_HYPHENS = ("\u2010", "-")
#: A word, where a hyphen joins the next one to it ("pre" of "pre-commit").
_HYPHENATED = re.compile(r"(\w+)(?=[-\u2010\u2011](\w+))")


def normalised(text: str) -> list[str]:
    """Word tokens as the audit compares them: NFKC, case-folded, split at anything not a word."""
    return _WORD.findall(unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).casefold())


#: Where the edition prints words of its own (a reference's title, a citation): the source's
#: words on either side are not read as one run, which a repeated sentence could cross.
GENERATED = "\x00"
_WORD_OR_GENERATED = re.compile(r"\w+|" + GENERATED)


def _words_with_offsets(text: str) -> Iterator[tuple[str, str, int]]:
    """(token, the word as written, offset) of each word of *text*, and of each GENERATED mark."""
    for match in _WORD_OR_GENERATED.finditer(text):
        if match.group() == GENERATED:
            yield GENERATED, "", match.start()
            continue
        for token in normalised(match.group()):
            yield token, match.group(), match.start()


class TextAuditError(Exception):
    """The text audit cannot read what it needs: the build's doctrees, or an edition."""


# --- the author's words -------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    token: str
    written: str
    source: str
    line: int


#: Nodes whose text no edition prints as the author's words: markup, metadata, generated labels.
_SKIPPED = (
    nodes.comment,
    nodes.raw,
    nodes.substitution_definition,
    nodes.system_message,
    nodes.problematic,
    nodes.target,
    nodes.pending,
    nodes.image,
    nodes.label,
    nodes.footnote_reference,
    nodes.citation_reference,
    nodes.generated,
    addnodes.toctree,
    addnodes.index,
)
#: References whose text, unless the author gave one, is a label that the edition replaces
#: with the target's title or number.
_TITLED_REFERENCES = frozenset({"ref", "numref", "doc", "myst"})
#: References the edition always prints as their target's number: ``{eq}``.
_NUMBERED_REFERENCES = frozenset({"eq"})
#: Domains whose references every edition prints in its own words: a citation's key is
#: printed as its label or its authors and year (sphinxcontrib-bibtex).
_FORMATTED_DOMAINS = frozenset({"cite", "footcite"})
_NUMREF_PLACEHOLDERS = re.compile(r"\{number\}|\{name\}|%s")
#: Parts of an object's signature (autodoc's, or a domain directive's) that the writers set
#: apart with brackets, commas or an arrow of their own, which the doctree does not hold.
_SIGNATURE_PARTS = (
    addnodes.desc_parameterlist,
    addnodes.desc_parameter,
    addnodes.desc_type_parameter_list,
    addnodes.desc_type_parameter,
    addnodes.desc_optional,
    addnodes.desc_returns,
)
#: Blocks whose line is the fence's or the directive's, not the first line of their text.
_FENCED = (nodes.literal_block, nodes.math_block, nodes.doctest_block)
#: How far past a table's or a fence's line a cell's or a block's text is looked for.
_LOOKAHEAD_LINES = 200


@dataclass
class _Block:
    source: str
    line: int
    replaced: Replaced | None
    approximate: bool
    """The line is the enclosing fence's or table's: the text's own is looked for from there."""
    moved: bool = False
    """Inside a node the edition may move (:data:`~triptych.builders.text_changes.MOVABLE`)."""
    parts: list[str] = field(default_factory=list)


@dataclass
class SourceWords:
    """The words of one document that an edition must print, and those it declares replaced."""

    expected: list[Word] = field(default_factory=list)
    replaced: dict[str, list[Word]] = field(default_factory=dict)
    """Words the edition prints in its own words, by where it prints them."""
    unordered: list[Word] = field(default_factory=list)
    """Words the edition prints, though maybe elsewhere in the document than written."""

    hyphenated: set[tuple[str, str]] = field(default_factory=set)
    """The tokens on either side of each hyphen the author wrote ("pre", "commit")."""

    @property
    def vocabulary(self) -> set[str]:
        return {word.token for word in (*self.expected, *self.unordered)} - {GENERATED}

    @property
    def neighbours(self) -> set[tuple[str, str]]:
        """Each token and the one after it, as the source writes them."""
        pairs: set[tuple[str, str]] = set()
        for words in (self.expected, self.unordered):
            pairs.update(itertools.pairwise(word.token for word in words))
        return pairs


def hyphenated_pairs(text: str) -> Iterator[tuple[str, str]]:
    """The tokens a hyphen joins in *text*: the last of the word before it, the first after."""
    for match in _HYPHENATED.finditer(text):
        before, after = normalised(match[1]), normalised(match[2])
        if before and after:
            yield before[-1], after[0]


class SourceReader:
    """Reads the author's words from a doctree as docutils read it, for one edition."""

    def __init__(
        self,
        edition: str,
        *,
        front_matter: str | None,
        titled: frozenset[str] = frozenset(),
        unwritten: frozenset[str] = frozenset(),
    ) -> None:
        self.edition = edition
        self.unwritten = unwritten
        """Class names of the nodes the build's writers leave out, with all they hold."""
        builder = BUILDER[edition]
        self.tags = Tags(["html", "format_html", f"builder_{builder}"])
        self.front_matter = front_matter
        """The root document when the PDF and EPUB print it as front matter."""
        self.drawn = DRAWN[edition]
        self.movable = MOVABLE[edition]
        self.labelled_calls = edition in LABELLED_CALLS
        self.titled = titled
        """Documents and labels: an ``any`` reference to one prints its title."""
        self._files: dict[str, list[str]] = {}
        #: Where the last text found from a table's or a fence's line was: cells come in order.
        self._found: dict[tuple[str, int], int] = {}

    def words(self, docname: str, document: nodes.document) -> SourceWords:
        result = SourceWords()
        replacements = REPLACED[self.edition] if docname == self.front_matter else ()
        default_source = str(document.get("source", ""))
        for block in self._blocks(document, default_source, replacements, None, False):
            text = "".join(block.parts)
            base_line = self._first_text_line(block, text) if block.approximate else block.line
            if block.replaced is None:
                result.hyphenated.update(hyphenated_pairs(text))
            for token, written, offset in _words_with_offsets(text):
                word = Word(token, written, block.source, base_line + text.count("\n", 0, offset))
                if token == GENERATED and (block.replaced is not None or block.moved):
                    continue
                if block.replaced is None:
                    (result.unordered if block.moved else result.expected).append(word)
                else:
                    result.replaced.setdefault(block.replaced.where, []).append(word)
        return result

    def _skipped(self, node: nodes.Node) -> bool:
        if isinstance(node, _SKIPPED) or type(node).__name__ in self.drawn | self.unwritten:
            return True
        if isinstance(node, nodes.Element) and node.get(UNWRITTEN):
            return True
        if isinstance(node, addnodes.pending_xref) and node.get("reftype") in _NUMBERED_REFERENCES:
            return True
        if isinstance(node, addnodes.pending_xref) and node.get("refdomain") in _FORMATTED_DOMAINS:
            return True
        if isinstance(node, addnodes.only):
            return not self.tags.eval_condition(node["expr"])
        if isinstance(node, nodes.compound) and "toctree-wrapper" in node["classes"]:
            return True
        return (
            isinstance(node, addnodes.pending_xref)
            and not node.get("refexplicit")
            and (node.get("reftype") in _TITLED_REFERENCES or self._titled_any(node))
        )

    def _titled_any(self, node: addnodes.pending_xref) -> bool:
        if node.get("reftype") != "any":
            return False
        target = str(node.get("reftarget", ""))
        document = docname_join(str(node.get("refdoc", "")), target)
        return document in self.titled or target.lower() in self.titled

    def _blocks(
        self,
        element: nodes.Element,
        default_source: str,
        replacements: Sequence[Replaced],
        replaced: Replaced | None,
        approximate: bool,
        *,
        moved: bool = False,
    ) -> Iterator[_Block]:
        source, line = get_source_line(element)
        source = source or default_source
        # MyST numbers a table's cells with the table's line, and a code block and its
        # caption with the fence's.
        approximate = approximate or isinstance(element, (nodes.entry, nodes.caption, *_FENCED))
        moved = moved or type(element).__name__ in self.movable

        def fresh() -> _Block:
            return _Block(source, line or 0, replaced, approximate, moved)

        block = fresh()
        if isinstance(element, _FENCED):
            block.parts.append(element.astext())
            yield block
            return
        for child in element.children:
            if isinstance(child, nodes.Text):
                block.parts.append(child.astext())
            elif _is_line_break(child):
                block.parts.append("\n")
            elif isinstance(child, nodes.footnote_reference) and self.labelled_calls:
                # Against a word, the call's label reads as part of it; elsewhere it is
                # no word of the author's.
                before = next((part for part in reversed(block.parts) if part), "")
                if _ENDS_IN_WORD.search(before):
                    block.parts.append(child.astext())
            elif self._skipped(child):
                if isinstance(child, addnodes.pending_xref):
                    block.parts.append(GENERATED)
                continue
            elif isinstance(child, nodes.Inline):
                block.parts.extend(self._inline_text(child))
            else:
                yield block
                block = fresh()
                assert isinstance(child, nodes.Element)
                child_replaced = replaced or _replacement(child, replacements)
                yield from self._blocks(
                    child, source, replacements, child_replaced, approximate, moved=moved
                )
        yield block

    def _inline_text(self, node: nodes.Node) -> Iterator[str]:
        if isinstance(node, nodes.Text):
            yield node.astext()
            return
        if _is_line_break(node):
            yield "\n"
            return
        if self._skipped(node):
            if isinstance(node, addnodes.pending_xref):
                yield GENERATED
            return
        if isinstance(node, addnodes.pending_xref) and node.get("reftype") == "numref":
            # The author's template, less the number or caption the edition puts in.
            yield _NUMREF_PLACEHOLDERS.sub(" ", node.astext())
            return
        apart = isinstance(node, _SIGNATURE_PARTS)
        if apart:
            yield " "
        for child in node.children:
            yield from self._inline_text(child)
        if apart:
            yield " "

    def _first_text_line(self, block: _Block, text: str) -> int:
        """The line a block's text starts on, looked for in the file from the line noted."""
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if not first or block.line <= 0 or not block.source:
            return block.line
        if block.source not in self._files:
            try:
                content = Path(block.source).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                content = ""
            self._files[block.source] = content.splitlines()
        lines = self._files[block.source]
        origin = (block.source, block.line)
        start = self._found.get(origin, block.line - 1)
        for number in range(start, min(block.line + _LOOKAHEAD_LINES, len(lines))):
            if first in lines[number]:
                self._found[origin] = number
                return number + 1
        return block.line


_ENDS_IN_WORD = re.compile(r"\w$")
_LINE_BREAK = re.compile(r"^\s*<br\s*/?>\s*$", re.IGNORECASE)


def _is_line_break(node: nodes.Node) -> bool:
    """A hard line break (MyST's trailing backslash): raw ``<br />``, between two words."""
    return (
        isinstance(node, nodes.raw)
        and node.get("format") == "html"
        and bool(_LINE_BREAK.match(node.astext()))
    )


def _replacement(node: nodes.Element, replacements: Sequence[Replaced]) -> Replaced | None:
    for replaced in replacements:
        if type(node).__name__ != replaced.node:
            continue
        if not replaced.classes <= set(node.get("classes", ())):
            continue
        if replaced.top_level and not (
            isinstance(node.parent, nodes.section)
            and isinstance(node.parent.parent, nodes.document)
            and node.parent is node.parent.parent.next_node(nodes.section)
        ):
            continue
        return replaced
    return None


# --- the editions' text -------------------------------------------------------------------

#: HTML elements that flow within a line; every other element starts and ends a block.
_INLINE_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "i", "ins",
    "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
})  # fmt: skip
_UNREAD_TAGS = frozenset({"script", "style", "template", "head", "title"})


def flow_text(element: etree._Element, asides: frozenset[str]) -> str:
    """The text of *element* as a reader reads it: blocks apart, inline elements run together."""
    parts: list[str] = []

    def visit(node: etree._Element) -> None:
        if not isinstance(node.tag, str):  # a comment or a processing instruction
            return
        tag = etree.QName(node).localname
        if tag in _UNREAD_TAGS or asides & set((node.get("class") or "").split()):
            return
        block = tag not in _INLINE_TAGS
        if block:
            parts.append("\n")
        parts.append(node.text or "")
        for child in node:
            visit(child)
            parts.append(child.tail or "")
        if block:
            parts.append("\n")

    visit(element)
    return "".join(parts)


def site_page_text(page: Path) -> str | None:
    """The main content of a site page: what the theme puts in ``role=main``."""
    if not page.is_file():
        return None
    tree = html.parse(str(page))
    main = tree.xpath("//*[@role='main']") or tree.xpath("//article") or tree.xpath("//body")
    return flow_text(main[0], ASIDES[SITE]) if main else ""


def epub_chapter_texts(epub: Path) -> dict[str, str]:
    """The text of each chapter of the EPUB, by document name."""
    texts: dict[str, str] = {}
    with zipfile.ZipFile(epub) as archive:
        for name in epub_documents(archive):
            docname = name.removeprefix("EPUB/").removesuffix(".xhtml")
            body = etree.fromstring(archive.read(name)).find("{http://www.w3.org/1999/xhtml}body")
            if body is not None:
                texts[docname] = flow_text(body, ASIDES[EPUB])
    return texts


def pdf_page_texts(pdf: Path) -> list[str]:
    """The text of each page, in the order the PDF draws it (``pdftotext -raw``)."""
    command = shutil.which("pdftotext")
    if command is None:
        from pypdf import PdfReader

        return [page.extract_text() for page in PdfReader(pdf).pages]
    result = subprocess.run(
        [command, "-raw", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        reason = result.stderr.decode(errors="replace").strip().splitlines() or ["failed"]
        msg = f"{pdf}: pdftotext: {reason[-1]}"
        raise TextAuditError(msg)
    pages = result.stdout.decode("utf-8", errors="replace").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_document_pages(pdf: Path) -> dict[str, range]:
    """The pages of each document: from its own to the next document's (which may share it)."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    starts: dict[str, int] = {}
    for name, destination in reader.named_destinations.items():
        page = reader.get_destination_page_number(destination)
        if name.startswith("document-") and "--" not in name and page is not None:
            starts[name.removeprefix("document-")] = page
    boundaries = sorted(set(starts.values()))
    last = len(reader.pages) - 1
    pages: dict[str, range] = {}
    for docname, start in starts.items():
        later = [page for page in boundaries if page > start]
        pages[docname] = range(start, (later[0] if later else last) + 1)
    return pages


def pdf_tokens(
    pages: Sequence[str],
    vocabulary: set[str],
    hyphenated: Collection[tuple[str, str]] = frozenset(),
    neighbours: Collection[tuple[str, str]] = frozenset(),
) -> list[str]:
    """Word tokens of some pages, with the words hyphenated at line ends made whole again.

    A line ending in a hyphen continues on the next line or, at the foot of a
    page, on the next page, after the running head and the page number. The
    fragment is joined to the first word of either when that makes a word of
    the source; a hyphen that joins nothing the author wrote separates, as
    the hyphen of ``pre-`` ``positioning`` does, and so does one the author
    wrote between those two words (*hyphenated*: "pre-commit" broken after its
    hyphen is no "precommit"). Where the source writes the words both ways, the
    reading whose words the source writes next to the words around the break
    (*neighbours*: each token and the next) is taken; when the words around it
    tell neither, a line ending in WeasyPrint's hyphen (U+2010) is read as one
    word and one ending in the author's (U+002D) as two.

    A name in code that a table's cell breaks after an underscore
    ("platform_python_" / "implementation") is joined to the lines that
    continue it, when together they make a word of the source.
    """
    name_starts = _name_starts(vocabulary)
    lines: list[list[str]] = []
    page_starts: list[int] = []
    raw_lines: list[str] = []
    for page in pages:
        page_starts.append(len(lines))
        raw_lines.extend(page.split("\n"))
        lines.extend(normalised(line) for line in page.split("\n"))
    for index, raw in enumerate(raw_lines):
        stripped = raw.rstrip()
        if lines[index] and stripped.endswith("_"):
            next_page = next((start for start in page_starts if start > index), len(lines))
            if _join_broken_name(lines, index, next_page, vocabulary, name_starts):
                continue
        if lines[index] and not stripped.endswith(_LINE_END_HYPHENS):
            _join_shifted_baseline(lines, index, vocabulary)
            continue
        if not lines[index]:
            continue
        if len(stripped) < 2 or not stripped[-2].isalnum():
            continue
        next_page = next((start for start in page_starts if start > index), len(lines))
        candidates = [
            _first_with_words(lines, index + 1, next_page),
            _first_with_words(lines, next_page, len(lines)),
        ]
        for candidate in candidates:
            if candidate is None:
                continue
            pair = (lines[index][-1], lines[candidate][0])
            if pair[0] + pair[1] not in vocabulary:
                continue
            before = lines[index][-2] if len(lines[index]) > 1 else None
            after = lines[candidate][1] if len(lines[candidate]) > 1 else None
            if pair not in hyphenated or _reads_as_one(
                pair, before, after, neighbours, stripped.endswith("\u2010")
            ):
                lines[index][-1] += lines[candidate].pop(0)
            break
    return [token for line in lines for token in line]


def _reads_as_one(
    pair: tuple[str, str],
    before: str | None,
    after: str | None,
    neighbours: Collection[tuple[str, str]],
    hyphenated_by_layout: bool,
) -> bool:
    """Whether a word the source writes both whole and hyphenated is whole where it broke."""
    whole = pair[0] + pair[1]
    as_one = ((before, whole) in neighbours) + ((whole, after) in neighbours)
    as_two = ((before, pair[0]) in neighbours) + ((pair[1], after) in neighbours)
    return as_one > as_two or (as_one == as_two and hyphenated_by_layout)


def _join_shifted_baseline(lines: list[list[str]], index: int, vocabulary: set[str]) -> None:
    """Join a word that ``pdftotext -raw`` split where a subscript or superscript moved the
    baseline ("H2" / "O" for H₂O): when the two pieces make a word of the source and
    one of them is none."""
    following = index + 1
    if following >= len(lines) or not lines[following]:
        return
    last, first = lines[index][-1], lines[following][0]
    if last + first in vocabulary and not (last in vocabulary and first in vocabulary):
        lines[index][-1] += lines[following].pop(0)


def _name_starts(vocabulary: Collection[str]) -> set[str]:
    """The beginnings of the source's names up to each of their underscores ("a_", "a_b_")."""
    return {
        word[: match.end()]
        for word in vocabulary
        if "_" in word
        for match in re.finditer("_+", word)
        if match.end() < len(word)
    }


def _join_broken_name(
    lines: list[list[str]], index: int, end: int, vocabulary: set[str], name_starts: set[str]
) -> bool:
    """Join to the last word of line *index* the lines before *end* that continue its name.

    Whether any did.
    """
    joined_any = False
    while (following := _first_with_words(lines, index + 1, end)) is not None:
        joined = lines[index][-1] + lines[following][0]
        if joined not in vocabulary and joined not in name_starts:
            break
        lines[index][-1] = joined
        lines[following].pop(0)
        joined_any = True
        if not joined.endswith("_") or lines[following]:
            break
    return joined_any


def _first_with_words(lines: Sequence[list[str]], start: int, end: int) -> int | None:
    return next((index for index in range(start, end) if lines[index]), None)


# --- comparing ----------------------------------------------------------------------------


def unmatched(source: Sequence[str], edition: Sequence[str]) -> list[int]:
    """Indices of the source tokens the edition lacks, reading both in order.

    The two are aligned on their longest common runs (difflib); between two
    runs, each source token is looked for in order in what the edition has
    there. A token found only before the previous match, or past the next
    one, is out of order: missing here.
    """
    matched = [False] * len(source)
    matcher = difflib.SequenceMatcher(None, source, edition, autojunk=False)
    source_at = edition_at = 0
    for block_source, block_edition, size in matcher.get_matching_blocks():
        cursor = edition_at
        gap = edition[edition_at:block_edition]
        for index in range(source_at, block_source):
            try:
                found = gap.index(source[index], cursor - edition_at)
            except ValueError:
                continue
            matched[index] = True
            cursor = edition_at + found + 1
        for index in range(block_source, block_source + size):
            matched[index] = True
        source_at, edition_at = block_source + size, block_edition + size
    return [index for index, found in enumerate(matched) if not found]


@dataclass(frozen=True)
class MissingPassage:
    edition: str
    words: tuple[Word, ...]

    def line(self) -> str:
        first = self.words[0]
        count = len(self.words)
        quoted = " ".join(word.written for word in self.words[:EXCERPT_WORDS])
        if count > EXCERPT_WORDS:
            quoted += " …"
        noun, verb = ("word", "is") if count == 1 else ("words", "are")
        return (
            f"{_shown_path(first.source)}:{first.line}: {count} {noun} of the source {verb} "
            f'missing from {EDITION_NAMES[self.edition]}: "{quoted}"'
        )


def _shown_path(source: str) -> str:
    path = Path(source)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return source


def passages(edition: str, words: Sequence[Word], missing: Iterable[int]) -> list[MissingPassage]:
    """Missing words grouped into passages: runs of consecutive words of one file."""
    runs: list[list[Word]] = []
    previous = -2
    for index in missing:
        word = words[index]
        if index == previous + 1 and runs and runs[-1][-1].source == word.source:
            runs[-1].append(word)
        else:
            runs.append([word])
        previous = index
    return [MissingPassage(edition, tuple(run)) for run in runs]


@dataclass
class TextAudit:
    """What one edition printed of the author's words."""

    edition: str
    path: Path
    documents: int = 0
    words: int = 0
    replaced: dict[str, int] = field(default_factory=dict)
    """Words printed in the edition's own words, by where."""
    missing: list[MissingPassage] = field(default_factory=list)
    site_only: list[str] = field(default_factory=list)
    """Documents outside the root's toctrees: the site's pages, not chapters of a book."""

    @property
    def missing_words(self) -> int:
        return sum(len(passage.words) for passage in self.missing)

    def summary(self) -> str:
        line = (
            f"text     {self.edition:<8} {self.documents} documents, {self.words} words, "
            f"{self.missing_words} missing"
        )
        notes = [f"{count} replaced by {where}" for where, count in sorted(self.replaced.items())]
        if self.site_only:
            notes.append(f"{len(self.site_only)} documents on the site only")
        return line + (f" ({'; '.join(notes)})" if notes else "")

    def compare(self, source: SourceWords, edition_tokens: Sequence[str] | None) -> None:
        self.documents += 1
        self.words += sum(word.token != GENERATED for word in source.expected)
        self.words += len(source.unordered)
        for where, words in source.replaced.items():
            self.replaced[where] = self.replaced.get(where, 0) + len(words)
        tokens = [word.token for word in source.expected]
        missing = [
            index
            for index in (
                range(len(tokens)) if edition_tokens is None else unmatched(tokens, edition_tokens)
            )
            if tokens[index] != GENERATED
        ]
        self.missing.extend(passages(self.edition, source.expected, missing))
        present = set(edition_tokens or ())
        elsewhere = [i for i, word in enumerate(source.unordered) if word.token not in present]
        self.missing.extend(passages(self.edition, source.unordered, elsewhere))


# --- the audit ----------------------------------------------------------------------------


@dataclass
class Publication:
    """What the build read: each document's doctree, and which of them make the book."""

    doctrees: dict[str, nodes.document]
    book: list[str]
    """Documents the root's toctrees reach, from the root."""
    front_matter: str | None
    titled: frozenset[str] = frozenset()
    """The documents and the labels of the publication, which references print by title."""
    unwritten: frozenset[str] = frozenset()
    """Nodes no edition writes under the build's settings (a todo, unless included)."""

    @classmethod
    def load(cls, doctree_dir: Path) -> Publication:
        env: Any = _unpickle(doctree_dir / "environment.pickle")
        doctrees = {
            docname: _unpickle(doctree_dir / f"{docname}.doctree")
            for docname in sorted(env.all_docs)
        }
        root = env.config.root_doc
        book: list[str] = []
        pending = [root]
        while pending:
            docname = pending.pop(0)
            if docname in book or docname not in doctrees:
                continue
            book.append(docname)
            pending[:0] = env.toctree_includes.get(docname, [])
        front_matter = root if env.config.triptych_front_matter else None
        labels = env.domaindata.get("std", {}).get("labels", {})
        return cls(
            doctrees,
            book,
            front_matter,
            frozenset(env.all_docs) | frozenset(labels),
            unwritten_nodes(env.config),
        )


def audit_text(outdir: Path) -> list[TextAudit]:
    """Look for the author's words in each edition in *outdir*."""
    publication = Publication.load(outdir / "doctrees")
    audits: list[TextAudit] = []
    if (outdir / "html").is_dir():
        audit = TextAudit(SITE, outdir / "html")
        reader = SourceReader(
            SITE,
            front_matter=publication.front_matter,
            titled=publication.titled,
            unwritten=publication.unwritten,
        )
        for docname, doctree in publication.doctrees.items():
            text = site_page_text(outdir / "html" / f"{docname}.html")
            tokens = None if text is None else normalised(text)
            audit.compare(reader.words(docname, doctree), tokens)
        audits.append(audit)
    for pdf in sorted((outdir / "pdf").glob("*.pdf")):
        audits.append(_audit_pdf(pdf, publication))
    for epub in sorted((outdir / "epub").glob("*.epub")):
        audit = TextAudit(EPUB, epub)
        reader = SourceReader(
            EPUB,
            front_matter=publication.front_matter,
            titled=publication.titled,
            unwritten=publication.unwritten,
        )
        chapters = epub_chapter_texts(epub)
        for docname in publication.book:
            chapter = chapters.get(docname)
            tokens = None if chapter is None else normalised(chapter)
            audit.compare(reader.words(docname, publication.doctrees[docname]), tokens)
        audit.site_only = sorted(set(publication.doctrees) - set(publication.book))
        audits.append(audit)
    articles = sorted((outdir / "pdf" / "articles").glob("*.pdf"))
    if articles:
        audits.append(_audit_articles(outdir / "pdf" / "articles", publication))
    return audits


def _audit_articles(folder: Path, publication: Publication) -> TextAudit:
    """Each article's own PDF holds that article, whole."""
    audit = TextAudit(ARTICLES, folder)
    reader = SourceReader(
        ARTICLES, front_matter=None, titled=publication.titled, unwritten=publication.unwritten
    )
    for docname in publication.book:
        if docname == publication.front_matter:
            continue  # the root is the book's front matter, not an article
        source = reader.words(docname, publication.doctrees[docname])
        pdf = folder / f"{docname}.pdf"
        tokens = None
        if pdf.is_file():
            tokens = pdf_tokens(
                pdf_page_texts(pdf), source.vocabulary, source.hyphenated, source.neighbours
            )
        audit.compare(source, tokens)
    return audit


def _audit_pdf(pdf: Path, publication: Publication) -> TextAudit:
    audit = TextAudit(PDF, pdf)
    reader = SourceReader(
        PDF,
        front_matter=publication.front_matter,
        titled=publication.titled,
        unwritten=publication.unwritten,
    )
    page_texts = pdf_page_texts(pdf)
    ranges = pdf_document_pages(pdf)
    for docname in publication.book:
        source = reader.words(docname, publication.doctrees[docname])
        pages = ranges.get(docname)
        tokens = None
        if pages is not None:
            tokens = pdf_tokens(
                [page_texts[number] for number in pages],
                source.vocabulary,
                source.hyphenated,
                source.neighbours,
            )
        audit.compare(source, tokens)
    audit.site_only = sorted(set(publication.doctrees) - set(publication.book))
    return audit


def _unpickle(path: Path) -> Any:
    # The build's own files, read as Sphinx reads them: audit only folders you built.
    try:
        with path.open("rb") as stream:
            return pickle.load(stream)
    except FileNotFoundError:
        msg = f"{path}: not found (the text audit reads the doctrees of the build; use --no-text to skip it)"
        raise TextAuditError(msg) from None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        msg = f"{path}: cannot be read ({error})"
        raise TextAuditError(msg) from None
