"""What each builder last wrote from: a document is written again only when that changed.

Sphinx decides what to write from what the running application read, but
``triptych build`` runs one application per edition on one environment: the
first edition reads an edited article, the others find nothing to read. So
each builder keeps, beside the doctrees, a digest per document of everything
its page or chapter is made from: the document's doctree, the current value
of every target it refers to (titles, labels, terms, citations), its section
and figure numbers, the glossary's terms (and, on a glossary page, their
uses), the contents for a page that shows them, and the builder's settings.
At ``env-get-updated`` the documents whose digest moved are handed back to
Sphinx to write, whichever application read them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.util._serialise import stable_hash

if TYPE_CHECKING:
    from collections.abc import Set as AbstractSet

    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.environment import BuildEnvironment

#: The environment's attribute: docname → the (domain, type, target) of its references.
REFERENCES = "triptych_references"
#: Beside the doctrees: one record per builder of the digests it last wrote from.
RECORDS_DIR = "triptych-written"
#: Options that say where or how long a build runs, or what it reads, not what it writes.
NOT_WRITTEN = frozenset(
    {
        "triptych_editions_dir",
        "triptych_max_build_seconds",
        "triptych_max_memory_mb",
        # Set for every edition but the first: building the EPUB alone must not rewrite it all.
        "triptych_reread_troubled",
    }
)
#: Domains whose targets :func:`defined_targets` resolves; references into others depend on
#: the other domain's whole data.
RESOLVED_DOMAINS = frozenset({"std", "doc", ""})


def references(env: BuildEnvironment) -> dict[str, set[tuple[str, str, str]]]:
    found: dict[str, set[tuple[str, str, str]]] = env.__dict__.setdefault(REFERENCES, {})
    return found


def _note_references(app: Sphinx, doctree: nodes.document) -> None:
    from sphinx import addnodes

    docname = app.env.current_document.docname
    references(app.env)[docname] = {
        (
            str(node.get("refdomain", "")),
            str(node.get("reftype", "")),
            str(node.get("reftarget", "")).lower(),
        )
        for node in doctree.findall(addnodes.pending_xref)
    }


def _merge_references(
    _app: Sphinx, env: BuildEnvironment, docnames: AbstractSet[str], other: BuildEnvironment
) -> None:
    theirs = references(other)
    references(env).update({name: theirs[name] for name in docnames if name in theirs})


def _purge_references(_app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    references(env).pop(docname, None)


def defined_targets(env: BuildEnvironment) -> dict[str, str]:
    """What a reference to each target of the standard domain prints or links to, by name."""
    targets = {name.lower(): title.astext() for name, title in env.titles.items()}
    std = env.domains.standard_domain
    for name, entry in {**std.anonlabels, **std.labels}.items():
        targets[name.lower()] = repr(entry)
    for (kind, name), entry in std.objects.items():
        targets[name.lower()] = f"{kind} {entry}"
    return targets


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


#: What ``repr`` shows of an object's place in memory, which differs in every process.
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def without_addresses(data: object) -> str:
    """A domain's data as text that is the same in every process for the same data."""
    return ADDRESS.sub("", repr(_plain(data)))


def _plain(value: object) -> object:
    """*value* with its collections in a stable order, nodes by their kind alone.

    A list grows in the order documents were read, and a node a domain keeps is
    filled in while pages are written: neither says what a reference shows.
    """
    from docutils import nodes

    if isinstance(value, dict):
        return sorted((repr(_plain(key)), repr(_plain(item))) for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(repr(_plain(item)) for item in value)
    if isinstance(value, nodes.Node):
        return type(value).__name__
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            [
                (field.name, _plain(getattr(value, field.name)))
                for field in dataclasses.fields(value)
            ],
        )
    return value


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def settings_digest(builder: Builder) -> str:
    """What every document of *builder* is written with: its settings, the code, the date."""
    import triptych

    values = {
        option.name: option.value
        for option in builder.config.filter(frozenset({"html", ""}))
        if option.name not in NOT_WRITTEN
    }
    package = Path(triptych.__file__).parent
    code = sorted(
        (str(path.relative_to(package)), path.stat().st_size, path.stat().st_mtime_ns)
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    return _digest(
        builder.name,
        stable_hash(values),
        stable_hash(sorted(builder.tags)),
        triptych.__version__,
        code,
        os.environ.get("SOURCE_DATE_EPOCH"),
    )


def contents_digest(env: BuildEnvironment) -> str:
    """The titles, sections and toctrees of every document: what a contents shows."""
    return _digest(
        sorted((name, toc.astext()) for name, toc in env.tocs.items()),
        sorted((name, title.astext()) for name, title in env.titles.items()),
        sorted(env.toctree_includes.items()),
        sorted((name, sorted(numbers.items())) for name, numbers in env.toc_secnumbers.items()),
    )


def document_digests(app: Sphinx, env: BuildEnvironment) -> dict[str, str]:
    """The digest of what each document's output is made from, for this builder."""
    from triptych.builders.html import shares_navigation
    from triptych.documents import SITE_BUILDERS
    from triptych.glossary.domain import glossary_domain

    common = settings_digest(app.builder)
    targets = defined_targets(env)
    glossary = glossary_domain(env)
    glossary_docs = glossary.glossary_docs()
    terms = glossary.digest()
    uses = _digest(sorted((doc, repr(found)) for doc, found in glossary.usages_by_doc.items()))
    contents = contents_digest(env)
    # A site page shows the pages before and after it, and with most themes the whole
    # contents too (with Furo, Alabaster and Sphinx's own themes, triptych loads them from
    # one file); a book's chapter shows the contents only where it holds a toctree.
    site = app.builder.name in SITE_BUILDERS
    on_every_page = site and not shares_navigation(app.builder)
    relations = env.collect_relations() if site else {}
    other_domains: dict[str, str] = {}
    noted = references(env)
    digests = {}
    for docname in sorted(env.found_docs):
        referred: list[tuple[str, ...] | tuple[str, str, str | None]] = []
        for domain, kind, target in sorted(noted.get(docname, ())):
            if domain in RESOLVED_DOMAINS:
                referred.append((kind, target, targets.get(target)))
            else:
                if domain not in other_domains:
                    data = env.domaindata.get(domain, {})
                    other_domains[domain] = _digest(without_addresses(data))
                referred.append((domain, other_domains[domain]))
        digests[docname] = _digest(
            common,
            _file_digest(Path(env.doctreedir, docname + ".doctree")),
            referred,
            sorted(env.toc_secnumbers.get(docname, {}).items()),
            sorted(
                (kind, sorted(n.items())) for kind, n in env.toc_fignumbers.get(docname, {}).items()
            ),
            terms,
            uses if docname in glossary_docs else "",
            contents if on_every_page or docname in env.toctree_includes else "",
            _page_extras(app, docname),
            [
                (name, env.titles[name].astext() if name in env.titles else None)
                for name in relations.get(docname, ())
            ],
        )
    return digests


def _page_extras(app: Sphinx, docname: str) -> object:
    """What a site page shows of the other editions: the download line."""
    from triptych.builders.html import download_line_inputs

    return download_line_inputs(app.builder, docname)


#: The builder's attribute: the digests of the build in progress, noted at ``env-get-updated``.
PENDING = "triptych_written_digests"


def written_digest(builder: Builder, docname: str) -> str | None:
    """The digest of what *docname* is written from in this build, once it is known."""
    pending: dict[str, str] | None = getattr(builder, PENDING, None)
    return pending.get(docname) if pending is not None else None


def record_path(app: Sphinx) -> Path:
    return Path(app.doctreedir) / RECORDS_DIR / f"{app.builder.name}.json"


def forget(doctreedir: Path) -> None:
    """Forget what every builder wrote: their next build writes everything."""
    import shutil

    shutil.rmtree(doctreedir / RECORDS_DIR, ignore_errors=True)


def search_entries_path(app: Sphinx) -> Path:
    return Path(app.doctreedir) / RECORDS_DIR / f"{app.builder.name}.search.json"


def _restore_search_entries(app: Sphinx, env: BuildEnvironment) -> None:
    """The index entries Sphinx's search keeps per page, for the pages not written again.

    Sphinx notes them in the environment while it writes, after it saved the
    environment, so a later build would find none for the pages it leaves.
    """
    entries: dict[str, list[tuple[str, str, str]]] = env._search_index_index_entries
    try:
        kept = json.loads(search_entries_path(app).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for docname, found in kept.items():
        if docname in env.found_docs:
            entries.setdefault(docname, [tuple(entry) for entry in found])


def _keep_search_entries(app: Sphinx) -> None:
    from triptych.builders import write_atomically

    entries = {
        docname: found
        for docname, found in app.env._search_index_index_entries.items()
        if docname in app.env.found_docs
    }
    write_atomically(search_entries_path(app), json.dumps(entries, sort_keys=True).encode())


def _outdated(app: Sphinx, env: BuildEnvironment) -> list[str]:
    from triptych.documents import SITE_BUILDERS

    if app.builder.name in SITE_BUILDERS and getattr(app.builder, "search", False):
        _restore_search_entries(app, env)
    now = document_digests(app, env)
    try:
        before = json.loads(record_path(app).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = {}
    setattr(app.builder, PENDING, now)  # kept once the build finished
    return sorted(name for name, digest in now.items() if before.get(name) != digest)


def _keep_record(app: Sphinx, exception: BaseException | None) -> None:
    now: dict[str, str] | None = vars(app.builder).pop(PENDING, None)
    if exception is not None or now is None:
        return
    from triptych.builders import write_atomically
    from triptych.problems import troubled

    # A document that had problems is written again next time, so they are shown again.
    for docname in troubled(app.env):
        now.pop(docname, None)
    write_atomically(record_path(app), json.dumps(now, sort_keys=True).encode())
    from triptych.documents import SITE_BUILDERS

    if app.builder.name in SITE_BUILDERS and getattr(app.builder, "search", False):
        _keep_search_entries(app)


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", _note_references)
    app.connect("env-merge-info", _merge_references)
    app.connect("env-purge-doc", _purge_references)
    # After the glossary and the index noted the uses of terms (at env-updated), and after
    # Sphinx numbered the sections and figures of the documents it read (at env-get-updated,
    # which follows): digests taken before would hold no numbers for those documents.
    app.connect("env-get-updated", _outdated, priority=900)
    app.connect("build-finished", _keep_record)
