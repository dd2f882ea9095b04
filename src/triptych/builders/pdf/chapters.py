"""Chapters kept beside the doctrees, so that an edit assembles only the chapters it changed.

Assembling a chapter (resolving its references, running the post-transforms,
qualifying its ids) is most of what the print HTML costs. What a chapter is
made from is what :mod:`triptych.builders.written` digests for each document
of a builder, so a chapter is kept under that digest and taken back while the
digest holds. The digest follows the targets a document refers to; what
extensions keep in other domains (todo lists, citations, equations) and the
book's set of documents and images are added to the key of every chapter, as
a reference to them is not noted per document.

A chapter that had a problem is not kept, so that the problem is shown again
by every build until it is mended.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING

from triptych.builders import write_atomically
from triptych.builders.written import without_addresses

if TYPE_CHECKING:
    from pathlib import Path

    from docutils import nodes
    from sphinx.environment import BuildEnvironment

#: Domains whose data no chapter shows but as :func:`triptych.builders.written.document_digests`
#: follows it per document (the standard domain's targets, the glossary's terms and uses), or
#: not at all: the index entries are shown by the book's index, its back matter, made anew by
#: every build (a chapter holds its own entries, and its digest follows them).
FOLLOWED_PER_DOCUMENT = frozenset({"std", "triptych", "triptych-index", "index"})


@dataclass
class AssembledChapter:
    """One document as a chapter of the print document, and what it adds to the builder."""

    chapter: nodes.container
    #: The images its pages show, as the builder copies them: source → name.
    images: dict[str, str]
    fignumbers: dict[str, dict[str, tuple[int, ...]]]
    secnumbers: dict[str, tuple[int, ...]]

    def detached(self) -> AssembledChapter:
        """Without the links its nodes keep to the document they were read in.

        Each node names its doctree, which names the environment: kept so, one chapter
        would carry the whole build. Without them a node finds its document through its
        parents, as the print document it is written in.
        """
        for node in self.chapter.findall():
            node.document = None  # type: ignore[assignment]  # docutils types it as always set
        return self


def shared_key(env: BuildEnvironment) -> str:
    """What every chapter is made from besides its own digest."""
    digest = hashlib.sha256()
    for distribution in ("sphinx", "docutils", "myst-parser", "triptych"):
        try:
            digest.update(metadata.version(distribution).encode() + b"\0")
        except metadata.PackageNotFoundError:
            digest.update(b"\0")
    digest.update(repr(sorted(env.all_docs)).encode())
    digest.update(repr(sorted((path, name) for path, (_docs, name) in env.images.items())).encode())
    for name in sorted(env.domaindata):
        if name not in FOLLOWED_PER_DOCUMENT:
            digest.update(name.encode() + b"\0")
            digest.update(without_addresses(env.domaindata[name]).encode())
    return digest.hexdigest()


class ChapterCache:
    """Assembled chapters under *folder*, one file each, under the key they were made with."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, docname: str) -> Path:
        return self.folder / f"{hashlib.sha256(docname.encode()).hexdigest()[:40]}.pickle"

    def get(self, docname: str, key: str) -> AssembledChapter | None:
        try:
            kept_key, assembled = pickle.loads(
                self.path(docname).read_bytes()
            )  # the build's own file
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError, TypeError):
            return None
        if kept_key != key or not isinstance(assembled, AssembledChapter):
            return None
        return assembled

    def put(self, docname: str, key: str, assembled: AssembledChapter) -> None:
        data = pickle.dumps((key, assembled), protocol=pickle.HIGHEST_PROTOCOL)
        write_atomically(self.path(docname), data)

    def keep_only(self, docnames: set[str]) -> None:
        """Remove the chapters of documents no longer in the book."""
        kept = {self.path(docname).name for docname in docnames}
        for path in sorted(self.folder.glob("*.pickle")):
            if path.name not in kept:
                path.unlink(missing_ok=True)
