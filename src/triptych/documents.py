"""The shape of the publication: which documents it holds, in which order, and their sections.

Every edition reads the order and the contents from here, so the HTML
navigation, the PDF contents and bookmarks, and the EPUB spine and nav agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging

from triptych.config import display_date

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment


#: The builders that make the website (the editions read on screen, with previews).
SITE_BUILDERS = ("html", "dirhtml")

#: Set on a node of a site page: HTML attributes (name to value) its start tag carries,
#: such as ``aria-describedby``, which docutils' writers have no node attribute for.
HTML_ATTRIBUTES = "triptych-html-attributes"


def title_of(env: BuildEnvironment, docname: str) -> str:
    """A document's title as every edition prints it; its name when it has none."""
    return text_of(env.titles[docname]) if docname in env.titles else docname


def text_of(node: nodes.Node) -> str:
    """*node*'s text, its formulas as text (a Greek letter, not ``\\alpha``), for text-only places.

    A contents entry or a title is a string in the printed contents and the EPUB's
    navigation, where a formula's ``astext()`` would be its TeX.
    """
    if isinstance(node, nodes.math):
        from triptych.math.render import plain_text

        return plain_text(node.astext())
    if isinstance(node, nodes.Text):
        return node.astext()
    separator = getattr(node, "child_text_separator", "")
    return str(separator).join(text_of(child) for child in node.children)


@dataclass(frozen=True)
class TitlePage:
    """What the title page of the PDF and of the EPUB says."""

    title: str
    subtitle: str
    authors: tuple[str, ...]
    date: str
    edition: str

    @classmethod
    def of(cls, config: Config) -> TitlePage:
        return cls(
            title=config.project,
            subtitle=config.triptych_subtitle,
            authors=tuple(config.triptych_authors),
            date=display_date(config),
            edition=config.triptych_edition,
        )


@dataclass(frozen=True)
class ContentsEntry:
    """One line of a table of contents: a document, a section within it, or a part.

    A part (a toctree's caption, when a document holds several toctrees) has
    no document of its own: it groups the documents under it.
    """

    docname: str
    anchor: str
    """The id of the section inside the document; empty for the document itself."""
    title: str
    children: tuple[ContentsEntry, ...] = ()
    numbering: str = ""
    """What precedes the title when its toctree is numbered ("2.1. "), as in its heading."""

    @property
    def is_part(self) -> bool:
        return not self.docname

    @property
    def label(self) -> str:
        return self.numbering + self.title


def walk_contents(entries: Iterable[ContentsEntry]) -> Iterator[ContentsEntry]:
    """Every entry, depth first."""
    for entry in entries:
        yield entry
        yield from walk_contents(entry.children)


#: Nodes that Sphinx's writers leave out, with all they hold, unless an option is on, by
#: docutils class name: ``sphinx.ext.todo``'s visitors skip a todo unless
#: ``todo_include_todos``. (``only`` blocks need no entry: Sphinx removes those an edition
#: does not show before writing.)
WRITTEN_ONLY_WITH = {"todo_node": "todo_include_todos"}


#: The attribute set, when a document is read, on a block no edition writes, whatever its
#: options: an ``ifconfig`` block whose condition is false, or that names the edition
#: (``builder``), since the three editions must show the same words and uses of terms. Not
#: a class: docutils refuses to drop a block with classes, as ``ifconfig`` does.
UNWRITTEN = "triptych_unwritten"


def _mark_unwritten_conditions(app: Sphinx, doctree: nodes.document) -> None:
    """Mark the ``ifconfig`` blocks Sphinx will drop when it writes, as it will decide.

    ``sphinx.ext.ifconfig`` evaluates each condition only while writing, after the
    glossary has noted the uses of its terms and the audit has read the words.
    """
    if "sphinx.ext.ifconfig" not in app.extensions:
        return
    from sphinx.ext.ifconfig import ifconfig

    blocks = list(doctree.findall(ifconfig))
    if not blocks:
        return
    # The names sphinx.ext.ifconfig evaluates its conditions with.
    names = {option.name: option.value for option in app.config}
    names.update(app.config.__dict__.copy())
    for block in blocks:
        try:
            condition = compile(str(block["expr"]), "<ifconfig>", "eval")
            shown = "builder" not in condition.co_names and bool(eval(condition, dict(names)))
        except Exception:  # noqa: BLE001 - Sphinx reports the condition's error while writing
            shown = False
        if not shown:
            block[UNWRITTEN] = True


def unwritten_nodes(config: Config) -> frozenset[str]:
    """Class names of the nodes no edition writes under *config*: their words reach no reader."""
    return frozenset(
        name for name, option in WRITTEN_ONLY_WITH.items() if not getattr(config, option, False)
    )


def publication_order(env: BuildEnvironment) -> list[str]:
    """The root document followed by every document its toctrees reach, in reading order."""
    relations = env.collect_relations()
    order: list[str] = []
    current: str | None = env.config.root_doc
    while current is not None and current not in order:
        order.append(current)
        current = relations.get(current, [None, None, None])[2]
    # A toctree may list Sphinx's generated pages (genindex, modindex): they are no document.
    return [docname for docname in order if docname in env.all_docs]


def _numbering(env: BuildEnvironment, docname: str, anchor: str) -> str:
    numbers = env.toc_secnumbers.get(docname, {}).get(f"#{anchor}" if anchor else "")
    if not numbers:
        return ""
    return ".".join(map(str, numbers)) + str(env.config.html_secnumber_suffix)


def _entries(
    env: BuildEnvironment, bullets: nodes.bullet_list, docname: str, depth: int
) -> tuple[ContentsEntry, ...]:
    if depth <= 0:
        return ()
    entries: list[ContentsEntry] = []
    for item in bullets.children:
        if not isinstance(item, nodes.list_item):
            continue
        reference = next(item.findall(nodes.reference), None)
        if reference is None:
            continue
        sublists = [child for child in item.children if isinstance(child, nodes.bullet_list)]
        children: tuple[ContentsEntry, ...] = ()
        for sublist in sublists:
            children += _entries(env, sublist, docname, depth - 1)
        if not reference.astext().strip():
            # A heading with no text (warned of when read) has no name to be picked by.
            entries.extend(children)
            continue
        anchor = reference.get("anchorname", "").lstrip("#")
        entries.append(
            ContentsEntry(
                docname=docname,
                anchor=anchor,
                title=text_of(reference),
                children=children,
                numbering=_numbering(env, docname, anchor),
            )
        )
    return tuple(entries)


def document_contents(env: BuildEnvironment, docname: str, depth: int = 2) -> ContentsEntry:
    """The document's title with its sections down to *depth* levels (the title is level 1)."""
    title = title_of(env, docname)
    toc = env.tocs.get(docname)
    top = _entries(env, toc, docname, depth) if isinstance(toc, nodes.bullet_list) else ()
    # A document has one title section; anything past it is rare and kept as sections.
    children: tuple[ContentsEntry, ...] = ()
    for entry in top:
        children += entry.children if not entry.anchor else (entry,)
    return ContentsEntry(
        docname=docname,
        anchor="",
        title=title,
        children=children,
        numbering=_numbering(env, docname, ""),
    )


def toctrees_of(env: BuildEnvironment, docname: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(caption, [(title given in the toctree or "", document)]) for each of *docname*'s toctrees."""
    toc = env.tocs.get(docname)
    if toc is None:
        return []
    return [
        (
            str(toctree.get("caption") or ""),
            [(title or "", ref) for title, ref in toctree["entries"] if ref in env.all_docs],
        )
        for toctree in toc.findall(addnodes.toctree)
    ]


def publication_contents(env: BuildEnvironment, order: list[str]) -> list[ContentsEntry]:
    """The table of contents of the PDF and the EPUB, as the toctrees nest it.

    Each document comes with its sections, then the documents its toctrees
    list. When a document holds several toctrees, those with a caption are
    parts. The documents the root lists are the publication's chapters; when
    the root is front matter, its own sections stand in for it.
    """
    listed = set(order)
    placed: set[str] = set()

    def chapters(docname: str) -> tuple[ContentsEntry, ...]:
        toctrees = toctrees_of(env, docname)
        divided = sum(1 for _caption, listing in toctrees if listing) > 1
        found: list[ContentsEntry] = []
        for caption, listing in toctrees:
            members = []
            for title, child in listing:
                if child in listed and child not in placed:
                    placed.add(child)
                    members.append(chapter(child, title))
            if divided and caption and members:
                found.append(
                    ContentsEntry(docname="", anchor="", title=caption, children=tuple(members))
                )
            else:
                found.extend(members)
        return tuple(found)

    def chapter(docname: str, title: str) -> ContentsEntry:
        own = document_contents(env, docname)
        return replace(own, title=title or own.title, children=own.children + chapters(docname))

    entries: list[ContentsEntry] = []
    for position, docname in enumerate(order):
        if docname in placed:
            continue
        placed.add(docname)
        if position == 0:
            # The documents the root lists are the publication's chapters, beside it.
            if is_front_matter(env.config, docname):
                entries.extend(document_contents(env, docname, depth=3).children)
            else:
                entries.append(document_contents(env, docname))
            entries.extend(chapters(docname))
        else:
            entries.append(chapter(docname, ""))
    return entries


def _append_auto_toctree(app: Sphinx, docname: str, source: list[str]) -> None:
    """Give a folder without its own toctree one, listing every article in name order."""
    config = app.config
    if not config.triptych_auto_toctree or docname != config.root_doc or "{toctree}" in source[0]:
        return
    others = sorted(name for name in app.env.found_docs if name != docname)
    if others:
        listing = "\n".join(others)
        source[0] += f"\n\n```{{toctree}}\n:hidden:\n\n{listing}\n```\n"


def _list_unlisted_documents(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """In a folder without ``conf.py``, the articles no toctree lists follow the listed ones.

    The root's own toctree decides the order of what it lists, but every
    article of the folder is published, in every edition: without this, Sphinx
    would write the others on the site alone. A document marked ``orphan``
    stays out of the contents, as its author asked. The root is given one more
    hidden toctree, in its doctree and in the relations Sphinx keeps, before
    Sphinx numbers sections and figures.
    """
    config = app.config
    root = config.root_doc
    if not config.triptych_auto_toctree or root not in env.all_docs:
        return []
    reached, waiting = {root}, [root]
    while waiting:
        for child in env.toctree_includes.get(waiting.pop(), []):
            if child not in reached:
                reached.add(child)
                waiting.append(child)
    unlisted = sorted(
        docname
        for docname in env.found_docs
        if docname not in reached and "orphan" not in env.metadata.get(docname, {})
    )
    if not unlisted:
        return []
    from sphinx.environment.adapters.toctree import note_toctree

    doctree = env.get_doctree(root)
    toctree = addnodes.toctree(
        parent=root, entries=[(None, docname) for docname in unlisted],
        includefiles=list(unlisted), maxdepth=-1, caption=None, glob=False,
        hidden=True, includehidden=False, numbered=0, titlesonly=False,
    )  # fmt: skip
    section = next(iter(doctree.findall(nodes.section)), doctree)
    section.append(toctree)
    note_toctree(env, root, toctree)
    toc = env.tocs.get(root)
    if toc is not None and toc.children and isinstance(toc[0], nodes.list_item):
        item = toc[0]
        sublists = [child for child in item.children if isinstance(child, nodes.bullet_list)]
        if not sublists:
            sublists = [nodes.bullet_list()]
            item.append(sublists[0])
        sublists[-1].append(toctree.copy())
    app.builder.write_doctree(root, doctree)
    return [root]


def _reread_auto_root(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """The root's generated toctree lists every article: re-read it when articles come or go."""
    if app.config.triptych_auto_toctree and (added or removed):
        return [app.config.root_doc]
    return []


def remove_toctrees(doctree: nodes.Node) -> None:
    """Drop toctrees, resolved or not, with MyST's wrapper around them."""
    for toctree in list(doctree.findall(addnodes.toctree)):
        parent = toctree.parent
        if isinstance(parent, nodes.compound) and "toctree-wrapper" in parent["classes"]:
            parent.parent.remove(parent)
        elif parent is not None:
            parent.remove(toctree)
    for wrapper in list(doctree.findall(nodes.compound)):
        # A resolved toctree is a list in a wrapper, no longer a toctree node.
        if "toctree-wrapper" in wrapper["classes"] and wrapper.parent is not None:
            wrapper.parent.remove(wrapper)


BYLINE = "byline"


def is_front_matter(config: Config, docname: str) -> bool:
    """Whether *docname* is the root document printed as front matter by the PDF and the EPUB."""
    return bool(config.triptych_front_matter) and docname == config.root_doc


def prepare_for_book(
    doctree: nodes.document, docname: str, config: Config, *, keep_toctrees: bool
) -> None:
    """What the PDF and the EPUB do to a resolved doctree, in one order for both.

    The root document becomes front matter: their title pages stand in for its
    title and for its paragraphs of class ``byline`` (subtitle, authors, date),
    and they have their own contents, so its toctrees go too. What remains (an
    "About" section, say) moves up a level. Other documents lose their
    toctrees unless the edition keeps them.
    """
    if not is_front_matter(config, docname):
        if not keep_toctrees:
            remove_toctrees(doctree)
        return
    remove_toctrees(doctree)
    for paragraph in list(doctree.findall(nodes.paragraph)):
        if BYLINE in paragraph["classes"] and paragraph.parent is not None:
            paragraph.parent.remove(paragraph)
    # The title page stands in for the document's title: its first section's heading. A
    # further section at the top (an "Indices and tables" after the rest) keeps its own.
    section = next((child for child in doctree.children if isinstance(child, nodes.section)), None)
    if section is not None:
        # An empty anchor keeps references to the section's own ids working.
        anchor = nodes.inline(ids=list(section["ids"]))
        content = [child for child in section.children if not isinstance(child, nodes.title)]
        section.replace_self([anchor, *content])


def _warn_empty_headings(_app: Sphinx, doctree: nodes.document) -> None:
    from triptych.diagnostics import Subtype, warn

    for section in doctree.findall(nodes.section):
        title = section.next_node(nodes.title)
        if title is not None and title.parent is section and not title.astext().strip():
            warn(
                logging.getLogger(__name__), Subtype.EMPTY_HEADING,
                "a heading with no text is left out of the contents", location=title,
            )  # fmt: skip


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", _warn_empty_headings)
    app.connect("doctree-read", _mark_unwritten_conditions)
    app.connect("source-read", _append_auto_toctree)
    app.connect("env-get-outdated", _reread_auto_root)
    app.connect("env-updated", _list_unlisted_documents)
