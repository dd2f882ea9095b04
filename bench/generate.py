"""Generate a synthetic MyST Markdown corpus for benchmarking triptych.

Usage::

    python bench/generate.py N OUTDIR [--seed S]

Writes ``OUTDIR/conf.py``, ``OUTDIR/index.md``, ``OUTDIR/glossary.md`` and N
articles ``OUTDIR/article-0001.md`` ... of roughly 1500 words each.  The
output depends only on N and the seed.

Every article has a ``(article-NNNN)=`` label, 4-6 ``##`` sections with
unique labels ``(article-NNNN-sK)=``, a bulleted list, a numbered list, one
``{list-table}`` with a caption and a header row, exactly 5 distinct glossary
terms referenced with ``{term}`` and 3 distinct ``{ref}`` references to
sections of other articles (of the article itself when N == 1).
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field
from pathlib import Path

ARTICLE_WORDS = 1500
"""Approximate number of words per article (prose, lists and table)."""

TERMS_PER_ARTICLE = 5
REFS_PER_ARTICLE = 3

_TERM_SUFFIXES: tuple[str, ...] = (
    # NATO alphabet (26) ...
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
    "india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa",
    "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
    "xray", "yankee", "zulu",
    # ... then Greek letters not already used (22) ...
    "beta", "gamma", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau",
    "upsilon", "phi", "chi", "psi", "omega",
    # ... and two Hebrew letters to make 50.
    "aleph", "gimel",
)  # fmt: skip

GLOSSARY_TERMS: tuple[str, ...] = tuple(f"Term {s}" for s in _TERM_SUFFIXES)
assert len(GLOSSARY_TERMS) == 50 and len(set(GLOSSARY_TERMS)) == 50

_FUNCTION_WORDS: tuple[str, ...] = (
    "the", "the", "the", "a", "an", "of", "of", "and", "and", "to", "in",
    "for", "with", "on", "by", "from", "that", "as", "is", "are", "was",
    "it", "this", "which", "their", "its", "or", "but", "not", "into",
)  # fmt: skip

_CONTENT_WORDS: tuple[str, ...] = (
    "system", "model", "process", "result", "method", "value", "structure",
    "network", "signal", "pattern", "surface", "measure", "sample", "record",
    "report", "theory", "practice", "context", "history", "element", "factor",
    "design", "layer", "source", "border", "channel", "market", "region",
    "river", "mountain", "village", "library", "garden", "harbour", "engine",
    "bridge", "window", "ledger", "archive", "council", "season", "journey",
    "question", "answer", "reason", "feature", "detail", "object", "figure",
    "chapter", "language", "practice", "variable", "function", "boundary",
    "estimate", "observer", "density", "pressure", "current", "balance",
    "harvest", "weather", "climate", "budget", "policy", "contract", "trade",
    "craft", "method", "surveyor", "merchant", "teacher", "student", "writer",
    "reader", "editor", "printer", "builder", "farmer", "sailor", "keeper",
    "careful", "rapid", "gentle", "narrow", "broad", "ancient", "modern",
    "steady", "uneven", "formal", "simple", "complex", "distant", "nearby",
    "central", "minor", "major", "quiet", "bright", "heavy", "light", "early",
    "late", "common", "rare", "useful", "strange", "familiar", "separate",
    "shared", "public", "private", "local", "general", "specific", "regular",
    "describes", "measures", "reveals", "supports", "changes", "follows",
    "produces", "requires", "suggests", "connects", "divides", "records",
    "explains", "contains", "reflects", "remains", "becomes", "carries",
    "depends", "extends", "gathers", "improves", "limits", "marks", "opens",
    "prepares", "reaches", "returns", "shapes", "turns", "holds", "builds",
    "considered", "observed", "measured", "described", "compared", "placed",
    "written", "printed", "counted", "shown", "given", "found", "known",
    "often", "rarely", "usually", "slowly", "quickly", "largely", "partly",
    "mostly", "always", "never", "sometimes", "later", "together", "again",
    "within", "between", "across", "beyond", "along", "under", "over",
    "through", "around", "without", "despite", "toward", "against", "among",
)  # fmt: skip


@dataclass
class Section:
    """One ``##`` section: a title and paragraphs of tokenised sentences."""

    title: str
    paragraphs: list[list[list[str]]] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)


@dataclass
class Article:
    """The structure of one article before rendering."""

    index: int
    title: str
    sections: list[Section] = field(default_factory=list)


def _word(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(_FUNCTION_WORDS)
    return rng.choice(_CONTENT_WORDS)


def _words(rng: random.Random, lo: int, hi: int) -> list[str]:
    return [_word(rng) for _ in range(rng.randint(lo, hi))]


def _sentence(rng: random.Random) -> list[str]:
    """A sentence of 8-20 words as tokens (without the final period)."""
    words = _words(rng, 8, 20)
    # An occasional comma makes the text look a little more natural.
    if len(words) > 10 and rng.random() < 0.4:
        k = rng.randint(3, len(words) - 4)
        words[k] = words[k] + ","
    return words


def _render_sentence(tokens: list[str]) -> str:
    text = " ".join(tokens).rstrip(",")
    return text[0].upper() + text[1:] + "."


def _title(rng: random.Random, lo: int, hi: int) -> str:
    words = [rng.choice(_CONTENT_WORDS) for _ in range(rng.randint(lo, hi))]
    return " ".join(w.capitalize() for w in words)


def _label(index: int, width: int) -> str:
    return f"article-{index:0{width}d}"


def _plan_article(rng: random.Random, index: int) -> Article:
    """Sections, titles and prose of one article (no terms/refs yet)."""
    article = Article(index=index, title=_title(rng, 2, 4))
    n_sections = rng.randint(4, 6)
    titles: set[str] = set()
    while len(titles) < n_sections:
        titles.add(_title(rng, 2, 3))
    # Sets are unordered (string hashing is randomised): sort, then shuffle.
    ordered = sorted(titles)
    rng.shuffle(ordered)
    # Lists and table take roughly 150 words; the rest is prose.
    prose_budget = ARTICLE_WORDS - 150
    per_section = prose_budget // n_sections
    for title in ordered:
        section = Section(title=title)
        count = 0
        while count < per_section - 40:
            paragraph = [_sentence(rng) for _ in range(rng.randint(3, 6))]
            count += sum(len(s) for s in paragraph)
            section.paragraphs.append(paragraph)
        article.sections.append(section)
    return article


def _bullet_list(rng: random.Random) -> str:
    items = [_render_sentence(_words(rng, 5, 12)) for _ in range(rng.randint(4, 6))]
    return "\n".join(f"- {item}" for item in items)


def _numbered_list(rng: random.Random) -> str:
    items = [_render_sentence(_words(rng, 5, 12)) for _ in range(rng.randint(4, 6))]
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, start=1))


def _list_table(rng: random.Random, caption: str) -> str:
    n_cols = rng.randint(3, 4)
    header = [rng.choice(_CONTENT_WORDS).capitalize() for _ in range(n_cols)]
    lines = ["```{list-table} " + caption, ":header-rows: 1", ""]
    rows: list[list[str]] = [header]
    for _ in range(rng.randint(4, 5)):
        row = [" ".join(_words(rng, 1, 3)) for _ in range(n_cols - 1)]
        rows.append([*row, str(rng.randint(1, 999))])
    for row in rows:
        lines.append(f"* - {row[0]}")
        lines.extend(f"  - {cell}" for cell in row[1:])
    lines.append("```")
    return "\n".join(lines)


def _insert(rng: random.Random, sentence: list[str], token: str) -> None:
    """Insert *token* inside *sentence*, never as its first word."""
    sentence.insert(rng.randint(1, len(sentence)), token)


def _decorate(
    rng: random.Random,
    article: Article,
    articles: list[Article],
    width: int,
) -> None:
    """Add lists, the table, term references and section references."""
    # Lists and table go into (possibly the same) random sections.
    sections = article.sections
    rng.choice(sections).extras.append(_bullet_list(rng))
    rng.choice(sections).extras.append(_numbered_list(rng))
    caption = f"Table of {_title(rng, 2, 3).lower()}"
    rng.choice(sections).extras.append(_list_table(rng, caption))

    sentences = [s for sec in sections for para in sec.paragraphs for s in para]
    slots = rng.sample(range(len(sentences)), TERMS_PER_ARTICLE + REFS_PER_ARTICLE)

    for slot, term in zip(
        slots[:TERMS_PER_ARTICLE],
        rng.sample(GLOSSARY_TERMS, TERMS_PER_ARTICLE),
        strict=True,
    ):
        _insert(rng, sentences[slot], f"{{term}}`{term}`")

    others = [a for a in articles if a.index != article.index] or [article]
    targets: set[str] = set()
    while len(targets) < REFS_PER_ARTICLE:
        other = rng.choice(others)
        k = rng.randint(1, len(other.sections))
        targets.add(f"{_label(other.index, width)}-s{k}")
    ordered = sorted(targets)
    rng.shuffle(ordered)
    for slot, target in zip(slots[TERMS_PER_ARTICLE:], ordered, strict=True):
        _insert(rng, sentences[slot], f"(see {{ref}}`{target}`)")


def _render_article(article: Article, width: int) -> str:
    label = _label(article.index, width)
    out = [f"({label})=", f"# {article.title}", ""]
    for k, section in enumerate(article.sections, start=1):
        out += [f"({label}-s{k})=", f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            out += [" ".join(_render_sentence(s) for s in paragraph), ""]
        for extra in section.extras:
            out += [extra, ""]
    return "\n".join(out)


def _render_glossary(rng: random.Random) -> str:
    out = ["# Glossary", "", "```{glossary}"]
    for term in GLOSSARY_TERMS:
        definition = " ".join(
            _render_sentence(_words(rng, 8, 16)) for _ in range(rng.randint(1, 2))
        )
        out += [term, f"  {definition}", ""]
    out[-1] = "```"
    return "\n".join(out) + "\n"


def _render_index(labels: list[str]) -> str:
    out = ["# Synthetic corpus", "", "```{toctree}", ":maxdepth: 2", ""]
    out += labels
    out += ["glossary", "```"]
    return "\n".join(out) + "\n"


CONF_PY = '''\
"""Sphinx configuration of the synthetic benchmark corpus.

The tool is chosen with the BENCH_TOOL environment variable:
``triptych`` (default), ``sphinx`` (plain html/epub) or ``simplepdf``.
"""

import os

project = "Synthetic corpus"
author = "Bench"
copyright = "2024, Bench"
version = "1.0"
release = "1.0"
language = "en"

_tool = os.environ.get("BENCH_TOOL", "triptych")
if _tool == "triptych":
    extensions = ["triptych"]  # triptych sets up myst_parser itself
else:
    extensions = ["myst_parser"] + (
        ["sphinx_simplepdf"] if _tool == "simplepdf" else []
    )
    # Render the PDF with WeasyPrint in-process (as triptych does) rather than
    # by running a ``weasyprint`` executable found on PATH.
    simplepdf_use_weasyprint_api = True
'''


def generate(n: int, outdir: Path, seed: int = 0) -> list[Path]:
    """Write the corpus of *n* articles to *outdir*; return the written files."""
    if n < 1:
        raise ValueError("N must be at least 1")
    rng = random.Random(seed)
    width = max(4, len(str(n)))
    articles = [_plan_article(rng, i) for i in range(1, n + 1)]
    for article in articles:
        _decorate(rng, article, articles, width)

    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(name: str, text: str) -> None:
        path = outdir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write("conf.py", CONF_PY)
    labels = [_label(a.index, width) for a in articles]
    write("index.md", _render_index(labels))
    write("glossary.md", _render_glossary(rng))
    for label, article in zip(labels, articles, strict=True):
        write(f"{label}.md", _render_article(article, width))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic MyST Markdown corpus.")
    parser.add_argument("n", type=int, metavar="N", help="number of articles")
    parser.add_argument("outdir", type=Path, metavar="OUTDIR")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    files = generate(args.n, args.outdir, args.seed)
    print(f"wrote {len(files)} files to {args.outdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
