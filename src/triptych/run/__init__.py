"""Running a build: every edition staged, audited and published together, within the limits.

:func:`build_publication` is the one entry point. It makes one Sphinx
application per edition on one saved environment (the first reads the
articles, the others reuse what it read), stages each edition, audits it,
and publishes all of them together only when every one passed. A build that
fails, is interrupted or is killed leaves the published editions as they were.
"""

from __future__ import annotations

import copy
import gc
import os
import re
import sys
import time
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from triptych.run import uptodate
from triptych.run.limits import BuildLimitReached, bounded, limit_reached
from triptych.run.problems import ProblemCount
from triptych.run.publish import (
    OFFERED,
    STAGING,
    WORK,
    broken_links,
    discard_staging,
    forget_work,
    publish_together,
    recover,
    stage_changes,
    work_folder,
)

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from triptych.builders import EditionSummary

#: Edition → Sphinx builder. Built in this order, so the site can offer the PDF and
#: the EPUB for download.
BUILDERS = {"pdf": "pdf", "epub": "ebook", "html": "html"}

#: Exit statuses: published; errors (or warnings with -W); stopped at once; interrupted.
PUBLISHED, FAILED, STOPPED, INTERRUPTED = 0, 1, 2, 130


@dataclass(frozen=True)
class BuildOptions:
    """How to build: what ``triptych build`` takes on its command line."""

    formats: tuple[str, ...] = tuple(BUILDERS)
    fail_on_warning: bool = False
    jobs: int = 1
    fresh_env: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)
    quiet: bool = False
    #: Sphinx's verbosity: 1 adds what it and the builders log at ``verbose`` level.
    verbosity: int = 0
    #: Let unexpected errors propagate with their traceback.
    traceback: bool = False
    #: The build runs as its own process, which the watchdog may end when it is stuck.
    may_end_process: bool = False


@dataclass(frozen=True)
class BuildProblem:
    """Why a build stopped: where (``file:line`` or a folder) and what."""

    location: str
    message: str

    def line(self) -> str:
        return f"{self.location}: error: {self.message}"


@dataclass(frozen=True)
class BuildResult:
    """How a build ended: its exit status, what it published, or why it did not."""

    status: int
    published: tuple[EditionSummary, ...] = ()
    problem: BuildProblem | None = None
    #: (edition or "publish", seconds) for each step the build took, in order.
    seconds: tuple[tuple[str, float], ...] = ()


#: What ``repr`` shows of an object's place in memory (Sphinx names a failing handler so).
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def describe(error: BaseException, extension: str = "") -> str:
    """One line for an error that stopped the build, naming the *extension* that raised it."""
    from sphinx.errors import SphinxError

    from triptych.parallel import LocatedTaskError

    if isinstance(error, LocatedTaskError):
        return error.description  # described in the process it happened in
    message = _ADDRESS.sub("", " ".join(str(error).split()))
    if isinstance(error, SphinxError):
        return f"{error.category}: {message}"
    if isinstance(error, OSError | UnicodeError):
        return f"{type(error).__name__}: {message}"
    raised_in = f" in the extension {extension}" if extension else ""
    return (
        f"unexpected {type(error).__name__}: {message}{raised_in}"
        " (run with --traceback for details)"
    )


def crash_site(
    error: BaseException, app: Sphinx | None, project: Path | None = None
) -> tuple[str, str]:
    """Where in the sources an unexpected error happened, and the extension that raised it.

    The place is that of the innermost node a function was handling (a writer's visitor, a
    transform), or else the innermost line of the *project*'s own code that ran (its
    ``conf.py``, a local extension); the extension, the innermost loaded one whose code
    raised or called what raised, but for Sphinx's own modules and triptych.
    """
    import traceback

    from docutils import nodes
    from sphinx.util.logging import get_node_location

    loaded = sorted(getattr(app, "extensions", {}), key=len, reverse=True)
    extensions = [
        name
        for name in loaded
        if name.split(".")[0] != "triptych"
        and (not name.startswith("sphinx.") or name.startswith("sphinx.ext."))
    ]
    location = extension = code = ""
    for frame, line in reversed(list(traceback.walk_tb(error.__traceback__))):
        if (
            not code
            and project is not None
            and Path(frame.f_code.co_filename).is_relative_to(project)
        ):
            code = f"{frame.f_code.co_filename}:{line}"
        module = str(frame.f_globals.get("__name__", ""))
        if not extension:
            extension = next(
                (name for name in extensions if module == name or module.startswith(f"{name}.")),
                "",
            )
        node = frame.f_locals.get("node")
        if not location and isinstance(node, nodes.Node):
            location = get_node_location(node) or ""
        if location and extension:
            break
    return location or code, extension


def build_publication(
    source: Path,
    output: Path,
    options: BuildOptions,
    *,
    status: TextIO | None = None,
    warning: TextIO | None = None,
) -> BuildResult:
    """Build the editions of the publication in *source* into *output*, all or none published."""
    if not source.is_dir():
        return BuildResult(STOPPED, problem=BuildProblem(str(source), "no such source folder"))
    source = source.resolve()
    output = output.resolve()
    confdir = source if (source / "conf.py").is_file() else None
    overrides: dict[str, Any] = {}
    if confdir is None:
        from triptych.apparatus.citations import zero_config_overrides
        from triptych.config import default_overrides

        # The .bib files found are the default: a project file that names its own wins.
        overrides = zero_config_overrides(source) | default_overrides(source)
    overrides.update(options.overrides)
    # Every edition is staged and published together at the end, so the site links
    # the editions staged beside it (or, for those not rebuilt, the published ones).
    overrides.setdefault("triptych_editions_dir", str(output / STAGING / OFFERED))

    recover(output)
    discard_staging(output)  # what a killed build left
    settings = {
        "overrides": overrides,
        "formats": list(options.formats),
        "fail_on_warning": options.fail_on_warning,
    }
    started = time.perf_counter()
    inputs = uptodate.inputs_digest(source, output, settings)
    if not options.fresh_env and (editions := uptodate.unchanged(output, inputs, options.formats)):
        if not options.quiet:
            (status or sys.stdout).write("nothing changed since the last build\n")
        return BuildResult(
            PUBLISHED,
            published=editions,
            seconds=(("up to date", time.perf_counter() - started),),
        )

    if confdir is not None:
        checked = _project_settings(confdir, overrides)
        if isinstance(checked, BuildProblem):
            return BuildResult(STOPPED, problem=checked)
        overrides.update(checked)

    if options.fresh_env:
        # A fresh build that is killed may leave doctrees half-written; the saved
        # environment would then vouch for them, so it goes first.
        (output / "doctrees" / "environment.pickle").unlink(missing_ok=True)
        forget_work(output)
    uptodate.forget(output)
    run = _Run(source, confdir, output, overrides, options, status, warning)
    try:
        result = run.build_all()
    finally:
        discard_staging(output)
    if result.status == PUBLISHED and not run.problems_shown:
        uptodate.remember(output, inputs, options.formats, result.published)
    return result


def _project_settings(confdir: Path, overrides: dict[str, Any]) -> dict[str, Any] | BuildProblem:
    """What a project's own ``conf.py`` needs to build with triptych, or why it cannot.

    The project's extensions are kept and triptych joins them, so a Sphinx
    project builds unchanged. Sphinx's own values are checked for their types
    first: Sphinx would only warn, then fail later with a bare ``TypeError``.
    """
    import logging as stdlib_logging

    from sphinx.config import Config, check_confval_types
    from sphinx.errors import ConfigError
    from sphinx.util.tags import Tags

    from triptych.config import CONFIG_VALUE_NAMED, SPHINX_CONFIG_LOGGER, config_location

    mismatches: list[str] = []

    class Collect(stdlib_logging.Handler):
        def emit(self, record: stdlib_logging.LogRecord) -> None:
            if record.name == SPHINX_CONFIG_LOGGER and CONFIG_VALUE_NAMED.search(
                record.getMessage()
            ):
                mismatches.append(record.getMessage())

    # Sphinx reports what it reads again when the build starts: nothing is printed here.
    collect = Collect(stdlib_logging.DEBUG)
    config_logger = stdlib_logging.getLogger("sphinx")
    config_logger.addHandler(collect)
    try:
        config = Config.read(confdir, overrides=dict(overrides), tags=Tags())
    except ConfigError as error:
        config_logger.removeHandler(collect)
        return BuildProblem(*_conf_py_failure(confdir, str(error)))
    try:
        check_confval_types(None, config)
    except (TypeError, AttributeError):
        # Values Sphinx converts when it starts (``source_suffix`` as a string or a list)
        # defeat the check on the raw file; Sphinx checks them again itself.
        mismatches.clear()
    finally:
        config_logger.removeHandler(collect)
    for message in mismatches:
        named = CONFIG_VALUE_NAMED.search(message)
        location = config_location(confdir, named["name"] if named else "")
        return BuildProblem(location or str(confdir / "conf.py"), message)
    extensions = list(config.extensions)
    if missing := _unimportable_extension(confdir, extensions):
        return missing
    settings: dict[str, Any] = {}
    if "triptych" not in extensions:
        settings["extensions"] = [*extensions, "triptych"]
    if "sphinx.ext.intersphinx" in extensions:
        settings["intersphinx_mapping"] = _reachable_inventories(config)
    return settings


def _unimportable_extension(confdir: Path, extensions: list[str]) -> BuildProblem | None:
    """The first extension ``conf.py`` names that cannot be imported, at the line naming it.

    Sphinx would stop on it too, but with no line of ``conf.py`` to go to.
    """
    import importlib

    from sphinx.registry import EXTENSION_BLACKLIST

    from triptych.config import config_location, string_location

    for name in extensions:
        if not isinstance(name, str) or name in EXTENSION_BLACKLIST:
            continue  # Sphinx says what is wrong with these itself
        try:
            importlib.import_module(name)
        except ImportError as error:
            location = (
                string_location(confdir, name)
                or config_location(confdir, "extensions")
                or str(confdir / "conf.py")
            )
            reason = " ".join(str(error).split())
            return BuildProblem(
                location,
                f"Extension error: extension {name!r} cannot be imported ({reason}): install "
                "the package that provides it, or take it out of extensions",
            )
    return None


def _reachable_inventories(config: Any) -> dict[str, Any]:
    """The intersphinx inventories on hosts the configuration allows: builds fetch no others.

    Those left out are named once in the build (``triptych.safety.inventories``).
    """
    from triptych.safety.inventories import unfetched_inventories

    allowed = config._raw_config.get("triptych_allowed_hosts", [])
    mapping = dict(config._raw_config.get("intersphinx_mapping", {}) or {})
    unfetched = unfetched_inventories(mapping, allowed)
    return {name: target for name, target in mapping.items() if name not in unfetched}


def _conf_py_failure(confdir: Path, report: str) -> tuple[str, str]:
    """Where in ``conf.py`` running it failed, and the exception's own last line."""
    import re

    conf = confdir / "conf.py"
    lines = [int(n) for n in re.findall(rf'File "{re.escape(str(conf))}", line (\d+)', report)]
    last = [line.strip() for line in report.strip().splitlines() if line.strip()][-1:]
    message = last[0] if last and "Traceback" in report else " ".join(report.split())
    return (f"{conf}:{lines[-1]}" if lines else str(conf)), f"conf.py failed: {message}"


@dataclass
class _Run:
    source: Path
    confdir: Path | None
    output: Path
    overrides: dict[str, Any]
    options: BuildOptions
    status: TextIO | None
    warning: TextIO | None
    started: float = field(default_factory=time.monotonic)
    #: Warnings and errors shown by the editions built so far.
    problems_shown: int = 0
    seconds: list[tuple[str, float]] = field(default_factory=list)

    def build_all(self) -> BuildResult:
        """Build, audit and stage each edition in turn; stop at the first that fails.

        Each edition is built in its work folder, which keeps the last build's
        output, so Sphinx writes only what changed. An edition is published
        again only when some file of it changed, and then only its changed
        files are new: the others are the published files themselves.
        """
        from triptych.builders import html

        offered = self.output / STAGING / OFFERED
        link_published_editions(self.output, self.options.formats)
        built_before = built_outputs(self.output)
        built: list[tuple[str, Path, EditionSummary]] = []
        for position, edition in enumerate(self.options.formats):
            started = time.perf_counter()
            folder = work_folder(self.output, edition)
            # The first edition reads the sources (and again those that had problems);
            # the others reuse what it read, so each problem is reported once.
            overrides = dict(self.overrides)
            if position:
                overrides["triptych_reread_troubled"] = False
            outcome = self.build_edition(edition, folder, overrides, fresh=not position)
            if isinstance(outcome, BuildResult):
                return outcome
            app = outcome
            now = built_outputs_of(app)
            if built_before.get(edition, now) - now:
                # What an article or an image since removed left in the work folder goes
                # with a build from nothing.
                forget_work(self.output, edition)
                folder = work_folder(self.output, edition)
                outcome = self.build_edition(edition, folder, overrides, fresh=False)
                if isinstance(outcome, BuildResult):
                    return outcome
                app = outcome
            built_before[edition] = now
            summary = getattr(app.builder, "summary", None) or html.summarise(app.builder)
            built.append((edition, folder, summary))
            (offered / edition).unlink(missing_ok=True)
            (offered / edition).symlink_to(folder, target_is_directory=True)
            self.seconds.append((edition, time.perf_counter() - started))
            if position < len(self.options.formats) - 1:
                # The next edition is built without this one's application alive: every
                # collection would walk its environment, chapters and layouts.
                del app, outcome
                gc.collect()
        started = time.perf_counter()
        keep_built_outputs(self.output, built_before)

        # Only once every edition is built and audited: the editions stay in step.
        staged = []
        for edition, folder, _summary in built:
            staging = self.output / STAGING / edition
            if stage_changes(folder, self.output / edition, staging):
                staged.append((staging, edition))
        if staged:
            publish_together(self.output, staged)
        self.seconds.append(("publish", time.perf_counter() - started))
        return BuildResult(
            PUBLISHED,
            seconds=tuple(self.seconds),
            published=tuple(
                replace(summary, path=self.output / edition / summary.path.relative_to(folder))
                for edition, folder, summary in built
            ),
        )

    def build_edition(
        self, edition: str, folder: Path, overrides: dict[str, Any], *, fresh: bool
    ) -> Sphinx | BuildResult:
        from sphinx.application import Sphinx
        from sphinx.util.docutils import docutils_namespace, patch_docutils

        options = self.options
        app: Sphinx | None = None
        count: ProblemCount | None = None
        try:
            with patch_docutils(self.confdir), docutils_namespace():
                app = Sphinx(
                    srcdir=self.source,
                    confdir=self.confdir,
                    outdir=folder,
                    doctreedir=self.output / "doctrees",
                    buildername=BUILDERS[edition],
                    # Extensions normalise their values in place (intersphinx its
                    # mapping): each edition gets its own, as read from the project.
                    confoverrides=copy.deepcopy(overrides),
                    status=None if options.quiet else (self.status or sys.stdout),
                    warning=self.warning or sys.stderr,
                    freshenv=options.fresh_env and fresh,
                    warningiserror=options.fail_on_warning,
                    parallel=options.jobs,
                    verbosity=options.verbosity,
                )
                # Sphinx would name the staging folder; the closing summary names the edition.
                app.builder.epilog = ""  # type: ignore[misc]  # this build only
                count = ProblemCount(app)
                count.attach()
                try:
                    with bounded(
                        app.config,
                        self.started,
                        where=partial(_current_file, app, self.source),
                        fallback=str(self.source),
                        hard_exit=options.may_end_process,
                    ) as watchdog:
                        # What each page is made from decides whether it is written again
                        # (triptych.builders.written), the other editions' downloads too.
                        app.build()
                finally:
                    count.detach()
                    self.problems_shown += count.warnings + count.errors
                if watchdog.reason:  # the interruption was caught and the build went on
                    raise BuildLimitReached(watchdog.reason, location=str(self.source))
        except KeyboardInterrupt:
            return BuildResult(INTERRUPTED, problem=BuildProblem(str(self.source), "interrupted"))
        except BuildLimitReached as reached:
            return BuildResult(STOPPED, problem=BuildProblem(reached.location, str(reached)))
        except Exception as error:
            if options.traceback:
                raise
            config = app.config if app is not None else None
            if explanation := limit_reached(error, config):
                where = _current_file(app, self.source) if app is not None else str(self.source)
                return BuildResult(STOPPED, problem=BuildProblem(where, explanation))
            try:
                place, extension = crash_site(error, app, self.source.resolve())
            except Exception:  # noqa: BLE001 - the error is reported, whatever its traceback holds
                place = extension = ""
            where = getattr(error, "location", "") or place or str(self.source)
            return BuildResult(STOPPED, problem=BuildProblem(where, describe(error, extension)))
        if app.statuscode:
            return BuildResult(app.statuscode)
        if objection := self.objection(count, edition, folder):
            return BuildResult(FAILED, problem=objection)
        return app

    def objection(
        self, count: ProblemCount | None, edition: str, folder: Path
    ) -> BuildProblem | None:
        """Why a built edition may not be published: errors logged, or broken links."""
        if count is not None and count.errors:
            errors = f"{count.errors} error{'s' if count.errors > 1 else ''}"
            return BuildProblem(str(self.source), f"{errors}; nothing is published")
        try:
            broken = broken_links(edition, folder)
        except Exception as error:  # noqa: BLE001 - an edition the audit cannot read is broken
            broken = [f"the audit could not read it: {describe(error)}"]
        if broken:
            return BuildProblem(str(self.output / edition), f"not published, {broken[0]}")
        return None


def link_published_editions(output: Path, building: tuple[str, ...]) -> None:
    """Editions not rebuilt are offered by the site from where they are published.

    The others are offered from their work folders as each is built.
    """
    offered = output / STAGING / OFFERED
    offered.mkdir(parents=True, exist_ok=True)
    for edition in ("pdf", "epub"):
        if edition not in building and (output / edition).is_dir():
            (offered / edition).symlink_to(output / edition, target_is_directory=True)


#: Beside the work folders: the documents, images and downloads each edition was built from.
BUILT_OUTPUTS = "built.json"


def built_outputs_of(app: Sphinx) -> set[str]:
    """What leaves a file of its own in an edition: documents, images, downloads."""
    env = app.env
    return (
        {f"doc:{name}" for name in env.found_docs}
        | {f"image:{name}" for name in env.images}
        | {f"download:{name}" for name in env.dlfiles}
    )


def built_outputs(output: Path) -> dict[str, set[str]]:
    import json

    try:
        recorded = json.loads((output / "doctrees" / WORK / BUILT_OUTPUTS).read_text())
        return {edition: set(names) for edition, names in recorded.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def keep_built_outputs(output: Path, built: dict[str, set[str]]) -> None:
    import json

    from triptych.builders import write_atomically

    record = {edition: sorted(names) for edition, names in sorted(built.items())}
    write_atomically(output / "doctrees" / WORK / BUILT_OUTPUTS, json.dumps(record).encode())


def _current_file(app: Sphinx, source: Path) -> str:
    """The article being read or written, for errors that interrupt the build."""
    env = getattr(app, "env", None)
    docname = env.current_document.docname if env is not None else ""
    return str(env.doc2path(docname)) if env is not None and docname else str(source)


def jobs(value: str) -> int:
    """``-j``: a number of processes, or 'auto' for one per core."""
    if value == "auto":
        return os.cpu_count() or 1
    number = int(value)  # a ValueError is argparse's cue to say what it expected
    if number < 1:
        raise ValueError(value)
    return number
