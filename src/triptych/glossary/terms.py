"""Glossary entries and how their terms are found in running text.

An entry is one definition in a ``{glossary}`` directive with every term line
above it. When the first term is written in capitals (``CSTO``, ``C2``) and a
second term follows, the entry is an abbreviation and the second term is its
expansion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

ABBREVIATION = re.compile(r"[A-Z][A-Z0-9&]*[A-Z0-9]")


@dataclass(frozen=True)
class GlossaryEntry:
    """One definition and the terms that name it."""

    docname: str
    lineno: int | None
    terms: tuple[str, ...]
    """Every declared spelling; the first is the headword."""
    term_ids: tuple[str, ...]
    definition: str
    """The definition as plain text, for previews."""

    @property
    def key(self) -> str:
        """Document and id of the headword: unique across the publication, stable across builds.

        Sphinx makes term ids unique within a document only (``term-0`` for a term
        with no Latin letters), so the document is part of the key.
        """
        return f"{self.docname}#{self.term_ids[0]}"

    @property
    def abbreviation(self) -> str | None:
        if len(self.terms) > 1 and ABBREVIATION.fullmatch(self.terms[0]):
            return self.terms[0]
        return None

    @property
    def expansion(self) -> str | None:
        return self.terms[1] if self.abbreviation else None

    def expansion_in_sentence(self, opens_sentence: bool) -> str:
        """The expansion as it reads in running text.

        "Command and control" is written in sentence case in the glossary and
        reads "command and control" mid-sentence; "North Atlantic Treaty
        Organization", a name, keeps its capitals.
        """
        expansion = self.expansion or ""
        words = expansion.split()
        sentence_case = all(not word[:1].isupper() for word in words[1:])
        if opens_sentence or not sentence_case or ABBREVIATION.fullmatch(words[0] if words else ""):
            return expansion
        return expansion[:1].lower() + expansion[1:]


def spelling_key(spelling: str) -> str:
    """Match key of a spelling: capitals as written, otherwise with a first letter of either case.

    "Interoperability" then matches "interoperability" in running text, while
    "CSTO" matches only "CSTO".
    """
    spelling = " ".join(spelling.split())  # a term may be wrapped across source lines
    if ABBREVIATION.fullmatch(spelling):
        return spelling
    return spelling[:1].lower() + spelling[1:]


def _pattern(spelling: str) -> str:
    words = [re.escape(word) for word in spelling.split()]
    if not ABBREVIATION.fullmatch(spelling) and spelling[:1].isalpha():
        first = spelling[0]
        words[0] = (
            f"[{re.escape(first.lower())}{re.escape(first.upper())}]{words[0][len(re.escape(first)) :]}"
        )
    # Any run of white space between words: source lines wrap inside terms.
    return r"\s+".join(words)


class TermIndex:
    """Every term of the publication, for lookup by spelling and search in text."""

    def __init__(self, entries: Iterable[GlossaryEntry]) -> None:
        self.entries: dict[str, GlossaryEntry] = {}
        self.by_spelling: dict[str, GlossaryEntry] = {}
        self.by_lower: dict[str, GlossaryEntry] = {}
        for entry in entries:
            self.entries.setdefault(entry.key, entry)
            for spelling in entry.terms:
                self.by_spelling.setdefault(spelling_key(spelling), entry)
                self.by_lower.setdefault(spelling.lower(), entry)

    def lookup(self, target: str) -> GlossaryEntry | None:
        """The entry a ``{term}`` target names (Sphinx matches term targets case-insensitively)."""
        return self.by_lower.get(target.lower())

    def __bool__(self) -> bool:
        return bool(self.entries)

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        spellings = sorted(
            {s for entry in self.entries.values() for s in entry.terms}, key=len, reverse=True
        )
        if not spellings:
            return None
        alternatives = "|".join(_pattern(s) for s in spellings)
        # Whole words only: no letter, digit or hyphen may touch the match.
        return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")

    def find(self, text: str) -> Iterator[tuple[int, int, GlossaryEntry]]:
        """(start, end, entry) of every whole-word occurrence of a term in *text*."""
        if self._regex is None:
            return
        for match in self._regex.finditer(text):
            entry = self.by_spelling.get(spelling_key(match.group()))
            if entry is not None:
                yield match.start(), match.end(), entry
