"""A project's table of contents, found in its folder and written into its documents as toctrees.

:func:`resolve` looks up every file, pattern and URL of a :class:`Declaration`
in the source folder: files that are missing, outside the folder, listed
twice, or notebooks (which need myst-nb) are left out with a problem at the
line of their entry. What remains is, for each document that has chapters,
sections or children, the toctrees it holds; :func:`insert_toctrees` writes
them into that document when Sphinx reads it (``source-read``, as the
automatic contents of a folder without ``conf.py`` are), hidden at its end or
where it says ``{tableofcontents}``. Sphinx then knows the order, the
nesting, the parts (captions) and the numbering as if the author had written
the toctrees.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.util.matching import patfilter

from triptych.projects.model import (
    Declaration,
    Problem,
    ProjectFileError,
    TocEntry,
    TocTree,
)

if TYPE_CHECKING:
    from sphinx.application import Sphinx

#: Suffixes of the documents triptych reads, in the order a name without one is looked up.
DOCUMENT_SUFFIXES = (".md", ".rst")
NOTEBOOK_SUFFIX = ".ipynb"
#: Folders no project keeps documents in.
SKIPPED_FOLDERS = frozenset({"_build", "node_modules", "__pycache__", ".ipynb_checkpoints"})
#: A URL a toctree links to as it is (Sphinx takes anything else for a document).
ABSOLUTE_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(//)?[^/]")
#: mystmd's choice of root document when the project lists no contents, in order.
MYSTMD_ROOTS = ("index.md", "README.md", "main.md")


def natural_key(name: str) -> list[Any]:
    """``chapter10`` after ``chapter9``; case does not count."""
    return [
        (0, int(part)) if part.isdigit() else (1, part.lower()) for part in re.split(r"(\d+)", name)
    ]


def project_files(source: Path) -> dict[str, Path]:
    """Every document and notebook in *source*: ``name/without/suffix`` → its path.

    Hidden folders, build folders and files reached through symlinks are left
    out, as triptych leaves them out of a folder without ``conf.py``. A
    Markdown or reST file wins over a notebook of the same name.
    """
    found: dict[str, Path] = {}
    for folder, subfolders, files in os.walk(source):
        subfolders[:] = sorted(
            name for name in subfolders if not name.startswith(".") and name not in SKIPPED_FOLDERS
        )
        for name in sorted(files):
            path = Path(folder, name)
            if name.startswith(".") or path.is_symlink():
                continue
            if path.suffix in (*DOCUMENT_SUFFIXES, NOTEBOOK_SUFFIX):
                docname = path.relative_to(source).with_suffix("").as_posix()
                if docname not in found or found[docname].suffix == NOTEBOOK_SUFFIX:
                    found[docname] = path
    return found


@dataclass
class Contents:
    """Where each document sits: the root, and the toctrees each document holds."""

    root: str
    #: docname → its toctrees, each ``{"caption", "numbered", ..., "entries": [[title, target]]}``.
    toctrees: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Every document the contents list, root first, as paths relative to the source folder.
    documents: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Resolver:
    source: Path
    declaration: Declaration
    files: dict[str, Path]
    contents: Contents
    placed: set[str] = field(default_factory=set)
    #: Notebooks already reported as skipped.
    skipped: set[Path] = field(default_factory=set)

    def problem(self, line: int, message: str, docname: str, path: Path | None = None) -> None:
        """Note a problem at *line* of the contents (or with the file *path*, at line 0)."""
        self.contents.problems.append(
            Problem(path or self.declaration.toc_path, line, message, docname=docname)
        )

    def lookup(self, written: str) -> tuple[str | None, str, Path | None]:
        """(document, "") for a toc entry's file, or (None, why not, the file if it exists)."""
        relative = posixpath.normpath(written.strip())
        if PurePosixPath(relative).is_absolute() or relative == ".." or relative.startswith("../"):
            return None, "outside the source folder", None
        stem, suffix = posixpath.splitext(relative)
        docname = stem if suffix in (*DOCUMENT_SUFFIXES, NOTEBOOK_SUFFIX) else relative
        path = self.files.get(docname)
        if (
            suffix
            and path is not None
            and path.suffix != suffix
            and (self.source / relative).is_file()
        ):
            path = self.source / relative
        if path is None:
            return None, "no such document", None
        if path.suffix == NOTEBOOK_SUFFIX:
            return None, "notebooks need myst-nb, which is not installed", path
        return docname, "", path

    def docname_of(self, written: str, line: int, parent: str) -> str | None:
        """The document a toc entry names, or None (with the problem noted)."""
        docname, reason, path = self.lookup(written)
        if docname is None:
            if path is not None:
                self.skipped.add(path)
            outcome = "skipped" if path is not None else "left out of the contents"
            # An entry found rather than written (line 0) is reported at its file.
            where = path if not line else None
            self.problem(line, f"{written}: {reason}; {outcome}", parent, where)
        return docname

    def place(self, docname: str, line: int, parent: str) -> bool:
        if docname in self.placed:
            self.problem(line, f"{docname} is listed twice; only its first place is kept", parent)
            return False
        self.placed.add(docname)
        self.contents.documents.append(self.files[docname].relative_to(self.source).as_posix())
        return True

    def matches(self, entry: TocEntry, parent: str) -> list[str]:
        """The documents a ``pattern`` (mystmd, with suffixes) or ``glob`` (without) names."""
        pattern = entry.pattern.strip().removeprefix("./")
        names = {
            (
                path.relative_to(self.source).as_posix()
                if PurePosixPath(pattern).suffix
                else docname
            ): docname
            for docname, path in self.files.items()
        }
        matched = [names[name] for name in patfilter(names, pattern)]
        documents = [doc for doc in matched if self.files[doc].suffix != NOTEBOOK_SUFFIX]
        for notebook in sorted(set(matched) - set(documents)):
            self.skipped.add(self.files[notebook])
            self.problem(
                entry.line,
                f"{self.files[notebook].name}: notebooks need myst-nb, which is not installed; skipped",
                parent,
            )
        documents = [doc for doc in documents if doc not in self.placed and not self.excluded(doc)]
        if not matched:
            self.problem(entry.line, f"{entry.pattern}: matches no document", parent)
        documents.sort(key=natural_key, reverse=entry.descending)
        return documents

    def excluded(self, docname: str) -> bool:
        relative = self.files[docname].relative_to(self.source).as_posix()
        return any(patfilter([relative], pattern) for pattern in self.declaration.exclude)

    def listed(self, entry: TocEntry, docname: str) -> list[tuple[list[str], str]]:
        """The toctree lines of one entry of *docname*'s contents, each with its document."""
        if entry.url and not ABSOLUTE_URL.match(entry.url):
            message = f"{entry.url}: a page of the site mystmd builds, not of this publication"
            self.problem(entry.line, message + "; left out", docname)
            return []
        if entry.url:
            return [([entry.title, entry.url], "")]
        if entry.pattern:
            return [
                (["", "/" + match], match)
                for match in self.matches(entry, docname)
                if self.place(match, entry.line, docname)
            ]
        child = self.docname_of(entry.file, entry.line, docname) if entry.file else None
        if child is None or not self.place(child, entry.line, docname):
            return []
        return [([entry.title, "/" + child], child)]

    def toctrees(self, docname: str, trees: tuple[TocTree, ...], numbered: int = 0) -> None:
        """Note the toctrees of *docname*, and those of every document they list."""
        specs = []
        for tree in trees:
            entries: list[list[str]] = []
            later: list[tuple[str, TocEntry]] = []
            for entry in tree.entries:
                for line, child in self.listed(entry, docname):
                    entries.append(line)
                    if child and entry.file and entry.toctrees:
                        later.append((child, entry))
            if entries:
                specs.append({
                    "caption": tree.caption,
                    "numbered": tree.numbered or numbered,
                    "titlesonly": tree.titlesonly,
                    "maxdepth": tree.maxdepth,
                    "reversed": tree.reversed,
                    "entries": entries,
                })  # fmt: skip
            for child, entry in later:
                self.toctrees(child, entry.toctrees)
        if specs:
            self.contents.toctrees[docname] = specs


def resolve(source: Path, declaration: Declaration) -> Contents:
    """The declared contents, looked up in *source*."""
    files = project_files(source)
    trees = declaration.toctrees
    root: str | None = None
    resolver = _Resolver(source, declaration, files, Contents(root=""))
    if declaration.root is not None:
        written, line = declaration.root
        root, reason, _path = resolver.lookup(written)
        if root is None:
            location = f"{declaration.toc_path}:{line}"
            raise ProjectFileError(f"root {written}: {reason}", location=location)
    elif trees is not None:
        root, trees = _first_file(trees, resolver)
    if trees is None:
        trees = _found_contents(source, files, declaration)
        if root is None:
            root = _mystmd_root(files, declaration)
        trees = _without(trees, root)
    if root is None:
        raise ProjectFileError(
            "the contents name no document to start the publication with",
            location=f"{declaration.toc_path}:1",
        )
    resolver.contents.root = root
    resolver.place(root, 1, root)
    resolver.toctrees(root, trees, declaration.numbered)
    if not declaration.only_listed_files:
        # Every document of the folder is read: so would its notebooks be, with myst-nb.
        for docname, path in files.items():
            if (
                path.suffix == NOTEBOOK_SUFFIX
                and path not in resolver.skipped
                and not resolver.excluded(docname)
            ):
                resolver.contents.problems.append(Problem(
                    path, 0, f"{path.name}: notebooks need myst-nb, which is not installed; skipped", root
                ))  # fmt: skip
    return resolver.contents


def _first_file(
    trees: tuple[TocTree, ...], resolver: _Resolver
) -> tuple[str | None, tuple[TocTree, ...]]:
    """mystmd's root is the first file of its ``toc``; that file's children come first."""
    for position, tree in enumerate(trees):
        for index, entry in enumerate(tree.entries):
            if not entry.file:
                continue
            root = resolver.docname_of(entry.file, entry.line, "")
            if root is None:
                continue
            rest = TocTree(
                line=tree.line, entries=tree.entries[index + 1 :], caption=tree.caption,
                numbered=tree.numbered, titlesonly=tree.titlesonly, maxdepth=tree.maxdepth,
                reversed=tree.reversed,
            )  # fmt: skip
            remaining = (
                *trees[:position],
                *((rest,) if rest.entries else ()),
                *trees[position + 1 :],
            )
            return root, (*entry.toctrees, *remaining)
    return None, trees


def _mystmd_root(files: dict[str, Path], declaration: Declaration) -> str | None:
    top = sorted(
        (doc for doc, path in files.items() if "/" not in doc and path.suffix == ".md"),
        key=natural_key,
    )
    for name in MYSTMD_ROOTS:
        if (stem := name.removesuffix(".md")) in top:
            return stem
    return top[0] if top else None


def folder_title(name: str) -> str:
    """A folder's name as mystmd titles it: ``01_field-notes`` → ``Field Notes``."""
    words = re.sub(r"^\d+[-_ .]*", "", name) or name
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", words)
    return " ".join(word.capitalize() for word in re.split(r"[-_\s]+", words) if word)


def _found_contents(
    source: Path, files: dict[str, Path], declaration: Declaration
) -> tuple[TocTree, ...]:
    """mystmd's contents when ``toc`` is not given: files before folders, a part per folder."""
    folders: dict[str, list[str]] = {}
    for docname, path in files.items():
        relative = path.relative_to(source).as_posix()
        if any(patfilter([relative], pattern) for pattern in declaration.exclude):
            continue
        folders.setdefault(posixpath.dirname(docname), []).append(relative)
    trees = []
    for folder in sorted(
        folders, key=lambda name: [natural_key(part) for part in name.split("/")] if name else []
    ):
        names = sorted(folders[folder], key=lambda name: natural_key(posixpath.basename(name)))
        # Line 0: found, not written; a problem with one is about the file itself.
        entries = tuple(TocEntry(line=0, file=name) for name in names)
        caption = " / ".join(folder_title(part) for part in folder.split("/")) if folder else ""
        trees.append(TocTree(line=1, entries=entries, caption=caption))
    return tuple(trees)


def _without(trees: tuple[TocTree, ...], docname: str | None) -> tuple[TocTree, ...]:
    kept = []
    for tree in trees:
        entries = tuple(
            e for e in tree.entries if PurePosixPath(e.file).with_suffix("").as_posix() != docname
        )
        if entries:
            kept.append(TocTree(line=tree.line, entries=entries, caption=tree.caption))
    return tuple(kept)


# --- Writing the toctrees into the documents ---------------------------------------------

#: ``{tableofcontents}`` (Jupyter Book 1): the page's contents go there, visible.
TABLE_OF_CONTENTS = re.compile(
    r"^(?P<fence>`{3,}|:{3,})[ \t]*\{tableofcontents\}[^\n]*\n(?:[^\n]*\n)*?(?P=fence)[ \t]*$",
    re.MULTILINE,
)
RST_TABLE_OF_CONTENTS = re.compile(r"^\.\. tableofcontents::[ \t]*$", re.MULTILINE)


#: The class of the toctrees written at the end of a document.
APPENDED_CLASS = "triptych-project-contents"


def _toctree_lines(spec: dict[str, Any], *, hidden: bool) -> list[str]:
    options: list[str] = []
    if hidden:
        options.extend((":hidden:", f":class: {APPENDED_CLASS}"))
    if caption := " ".join(str(spec["caption"]).split()):
        options.append(f":caption: {caption}")
    if spec["numbered"]:
        options.append(f":numbered: {spec['numbered']}")
    if spec["titlesonly"]:
        options.append(":titlesonly:")
    if spec["maxdepth"] != -1:
        options.append(f":maxdepth: {spec['maxdepth']}")
    if spec["reversed"]:
        options.append(":reversed:")
    entries = [
        f"{' '.join(title.split())} <{target}>" if title else target
        for title, target in spec["entries"]
    ]
    return [*options, "", *entries]


def markdown_toctrees(specs: list[dict[str, Any]], *, hidden: bool) -> str:
    blocks = []
    for spec in specs:
        blocks.append("\n".join(["````{toctree}", *_toctree_lines(spec, hidden=hidden), "````"]))
    return "\n\n".join(blocks)


def rst_toctrees(specs: list[dict[str, Any]], *, hidden: bool) -> str:
    blocks = []
    for spec in specs:
        lines = _toctree_lines(spec, hidden=hidden)
        blocks.append(
            "\n".join([".. toctree::", *(f"   {line}" if line else "" for line in lines)])
        )
    return "\n\n".join(blocks)


def insert_toctrees(app: Sphinx, docname: str, source: list[str]) -> None:
    """Write the document's toctrees into it as it is read."""
    specs = app.config.triptych_toctrees.get(docname)
    if not specs:
        return
    is_rst = Path(app.env.doc2path(docname)).suffix == ".rst"
    placeholder = RST_TABLE_OF_CONTENTS if is_rst else TABLE_OF_CONTENTS
    write = rst_toctrees if is_rst else markdown_toctrees
    text = source[0]
    if placeholder.search(text):
        source[0] = placeholder.sub(lambda _match: write(specs, hidden=False), text, count=1)
    else:
        source[0] = f"{text.rstrip()}\n\n{write(specs, hidden=True)}\n"


def lift_appended_toctrees(_app: Sphinx, doctree: nodes.document) -> None:
    """The toctrees written at a document's end belong to its title's section, not its last one.

    Where a toctree sits decides the numbers of the documents it lists: in
    the last subsection, a chapter's first section file would be numbered as
    a subsection of that subsection (1.1.1) rather than after it (1.2).
    Runs before Sphinx's collectors read the doctree.
    """
    title_section = next((c for c in doctree.children if isinstance(c, nodes.section)), None)
    if title_section is None:
        return
    for wrapper in list(doctree.findall(nodes.compound)):
        if APPENDED_CLASS in wrapper["classes"] and wrapper.parent is not title_section:
            wrapper.parent.remove(wrapper)
            title_section.append(wrapper)
