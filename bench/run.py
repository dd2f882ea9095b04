"""Benchmark triptych against plain Sphinx and sphinx-simplepdf.

Usage::

    python bench/run.py [--sizes 50,300,1000] [--workdir DIR] [--jobs 1]
                        [--seed S] [--json FILE]

For every corpus size a synthetic corpus is generated (``bench/generate.py``)
and each edition is built in its own subprocess, into a fresh output
directory:

* triptych: ``triptych build -q CORPUS -o OUT -f html|pdf|epub``
* references: ``sphinx-build -q -b html|epub|simplepdf -d DOCTREES CORPUS OUT``

Wall time is measured around each run; peak memory is the ``ru_maxrss`` of the
child (and its waited-for descendants) as reported by ``os.wait4``.  A failing
run is reported as FAILED and the benchmark goes on.  No timing is asserted.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

HERE = Path(__file__).resolve().parent
TRIPTYCH = Path(sys.executable).with_name("triptych")
SPHINX_BUILD = Path(sys.executable).with_name("sphinx-build")

SOURCE_DATE_EPOCH = "1700000000"  # 2023-11-14T22:13:20Z
EDITIONS: tuple[str, ...] = ("html", "pdf", "epub")
#: The order ``triptych build`` builds them in.
EDITIONS_IN_BUILD_ORDER: tuple[str, ...] = ("pdf", "epub", "html")
REFERENCE_BUILDER: dict[str, str] = {
    "html": "html",
    "pdf": "simplepdf",
    "epub": "epub",
}
REFERENCE_TOOL: dict[str, str] = {
    "html": "sphinx html",
    "pdf": "sphinx-simplepdf",
    "epub": "sphinx epub",
}
STDERR_TAIL_LINES = 15
#: Builds of all three editions, one after the other into the same output (and doctrees):
#: from nothing, again with nothing changed, and after one sentence added to one article.
SCENARIOS: tuple[str, ...] = ("cold", "unchanged", "edit")
EDIT_SENTENCE = "\nThis sentence was added to measure a rebuild after an edit.\n"


@dataclass
class RunResult:
    """Figures of one build run."""

    tool: str
    edition: str
    size: int
    command: list[str]
    ok: bool
    returncode: int | None
    seconds: float | None
    peak_mb: float | None
    output_bytes: int | None = None
    output_path: str | None = None
    pdf_pages: int | None = None
    stderr_tail: list[str] = field(default_factory=list)
    #: User and system CPU time of the child and its descendants: steadier than wall time
    #: on a shared machine.
    cpu_seconds: float | None = None
    #: triptych's own account of one build of all editions (``--timings``): seconds per
    #: edition, publishing, or "up to date" when it found nothing to do.
    step_seconds: dict[str, float] = field(default_factory=dict)


def _fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def _tail(path: Path, lines: int = STDERR_TAIL_LINES) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return text.rstrip("\n").splitlines()[-lines:]


def measure(
    command: Sequence[str],
    env: dict[str, str],
    log_dir: Path,
) -> tuple[int | None, float | None, float | None, list[str]]:
    """Run *command*; return (exit code, seconds, peak MiB, stderr tail).

    The child is started with :class:`subprocess.Popen` and reaped with
    :func:`os.wait4` so that its resource usage (peak RSS of the child and
    its waited-for descendants) can be read.
    """
    stdout_path = log_dir / "stdout.log"
    stderr_path = log_dir / "stderr.log"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(
                list(command), stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env
            )
        except OSError as exc:
            return None, None, None, [f"cannot start {command[0]}: {exc}"]
        _, status, rusage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # already reaped: keep Popen from waiting again
    peak_mb = rusage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux
    _cpu_seconds.append(rusage.ru_utime + rusage.ru_stime)
    return code, seconds, peak_mb, _tail(stderr_path)


#: The CPU time of each run :func:`measure` reaped, in order.
_cpu_seconds: list[float] = []


def _dir_bytes(path: Path, skip: frozenset[str]) -> int:
    total = 0
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            total += (Path(root) / name).stat().st_size
    return total


def _find_output(out: Path, edition: str) -> tuple[Path | None, int | None]:
    """The main output (HTML directory, PDF or EPUB file) and its size."""
    if edition == "html":
        if not any(out.rglob("*.html")):
            return None, None
        return out, _dir_bytes(out, frozenset({".doctrees", "doctrees"}))
    files = sorted(out.rglob(f"*.{edition}"), key=lambda p: p.stat().st_size)
    if not files:
        return None, None
    return files[-1], files[-1].stat().st_size


def _pdf_pages(path: Path) -> int | None:
    """Page count of a PDF, or None if pypdf is missing or cannot read it."""
    try:
        pypdf = importlib.import_module("pypdf")
    except ImportError:
        return None
    try:
        return len(pypdf.PdfReader(path).pages)
    except (OSError, ValueError, KeyError, pypdf.errors.PyPdfError):
        return None  # a broken PDF must not stop the benchmark


def run_one(
    *,
    tool: str,
    edition: str,
    size: int,
    command: list[str],
    out: Path,
    env: dict[str, str],
    log_dir: Path,
) -> RunResult:
    code, seconds, peak_mb, tail = measure(command, env, _fresh_dir(log_dir))
    result = RunResult(
        tool=tool,
        edition=edition,
        size=size,
        command=command,
        ok=code == 0,
        returncode=code,
        seconds=seconds,
        peak_mb=peak_mb,
    )
    if not result.ok:
        result.stderr_tail = tail
        return result
    path, nbytes = _find_output(out, edition)
    if path is None:
        result.ok = False
        result.stderr_tail = [f"no {edition} output found in {out}", *tail]
        return result
    result.output_path = str(path)
    result.output_bytes = nbytes
    if edition == "pdf":
        result.pdf_pages = _pdf_pages(path)
    return result


#: The bench measures how long a build takes: the limit that stops a hostile build at 30
#: minutes (``triptych_max_build_seconds``) would stop a book of 1,000 articles on a busy machine.
UNLIMITED = ["-D", "triptych_max_build_seconds=86400"]


def _runs(
    size: int, corpus: Path, work: Path, jobs: int
) -> Iterator[tuple[str, str, list[str], Path, dict[str, str]]]:
    """(tool, edition, command, output dir, environment) for one corpus."""
    base = dict(os.environ)
    base["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    jobs_args = ["-j", str(jobs)] if jobs != 1 else []

    for edition in EDITIONS:
        out = work / f"triptych-{edition}"
        cmd = [str(TRIPTYCH), "build", "-q", str(corpus), "-o", str(out), "-f", edition]
        cmd += UNLIMITED
        yield "triptych", edition, cmd + jobs_args, out, {**base, "BENCH_TOOL": "triptych"}

    for edition in EDITIONS:
        builder = REFERENCE_BUILDER[edition]
        out = work / f"sphinx-{builder}"
        doctrees = work / f"sphinx-{builder}.doctrees"
        shutil.rmtree(doctrees, ignore_errors=True)
        cmd = [str(SPHINX_BUILD), "-q", "-b", builder, *jobs_args]
        cmd += ["-d", str(doctrees), str(corpus), str(out)]
        tool_env = "simplepdf" if builder == "simplepdf" else "sphinx"
        yield REFERENCE_TOOL[edition], edition, cmd, out, {**base, "BENCH_TOOL": tool_env}


def _all_editions(
    corpus: Path, work: Path, jobs: int
) -> dict[str, list[tuple[str, list[str], Path, dict[str, str]]]]:
    """The builds of all three editions, by tool: (edition, command, output, environment)."""
    base = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    jobs_args = ["-j", str(jobs)] if jobs != 1 else []
    out = work / "triptych-all"
    triptych = [str(TRIPTYCH), "build", "-q", str(corpus), "-o", str(out), *jobs_args]
    triptych += UNLIMITED
    triptych += ["--timings", str(_timings_file(out))]
    builds: dict[str, list[tuple[str, list[str], Path, dict[str, str]]]] = {
        "triptych": [("all", triptych, out, {**base, "BENCH_TOOL": "triptych"})],
        "reference": [],
    }
    for edition in EDITIONS:
        builder = REFERENCE_BUILDER[edition]
        ref_out = work / f"all-{builder}"
        cmd = [str(SPHINX_BUILD), "-q", "-b", builder, *jobs_args]
        cmd += ["-d", str(work / f"all-{builder}.doctrees"), str(corpus), str(ref_out)]
        tool_env = "simplepdf" if builder == "simplepdf" else "sphinx"
        builds["reference"].append((edition, cmd, ref_out, {**base, "BENCH_TOOL": tool_env}))
    return builds


def _timings_file(out: Path) -> Path:
    return out.with_name(out.name + ".timings.json")


def _book_pdf(out: Path) -> Path | None:
    """The largest PDF of an output folder, outside its doctrees (the book, not an article)."""
    files = [p for p in out.rglob("*.pdf") if not {"doctrees", ".doctrees"} & set(p.parts)]
    return max(files, key=lambda p: p.stat().st_size) if files else None


def run_all_editions(
    tool: str,
    scenario: str,
    size: int,
    builds: list[tuple[str, list[str], Path, dict[str, str]]],
    log_dir: Path,
) -> RunResult:
    """All three editions built by *tool*: the times added up, the largest peak memory."""
    seconds = 0.0
    cpu = 0.0
    peak = 0.0
    commands: list[str] = []
    for edition, command, _out, env in builds:
        commands.append(" ".join(command))
        code, taken, peak_mb, tail = measure(command, env, _fresh_dir(log_dir / edition))
        if code != 0 or taken is None or peak_mb is None:
            return RunResult(
                tool, scenario, size, commands, False, code, None, None, stderr_tail=tail
            )
        seconds += taken
        cpu += _cpu_seconds[-1]
        peak = max(peak, peak_mb)
    result = RunResult(tool, scenario, size, commands, True, 0, seconds, peak, cpu_seconds=cpu)
    for _edition, command, _out, _env in builds:
        if "--timings" in command:
            timings = Path(command[command.index("--timings") + 1])
            result.step_seconds = json.loads(timings.read_text(encoding="utf-8"))
    pdf = next((_book_pdf(out) for edition, _c, out, _e in builds if edition in {"all", "pdf"}))
    if pdf is not None:
        result.output_path = str(pdf)
        result.pdf_pages = _pdf_pages(pdf)
    return result


def edit_one_article(corpus: Path, size: int) -> Path:
    """Add one sentence to the article in the middle of the corpus; the article's path."""
    article = corpus / f"article-{(size + 1) // 2:04d}.md"
    with article.open("a", encoding="utf-8") as stream:
        stream.write(EDIT_SENTENCE)
    return article


def run_rebuilds(size: int, corpus: Path, work: Path, jobs: int) -> list[RunResult]:
    """All three editions by each tool: cold, unchanged, after an edit (the corpus is edited)."""
    results: list[RunResult] = []
    builds = _all_editions(corpus, work, jobs)
    for tool_builds in builds.values():
        for _edition, _cmd, out, _env in tool_builds:
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(out.with_name(out.name + ".doctrees"), ignore_errors=True)
    for scenario in SCENARIOS:
        if scenario == "edit":
            edit_one_article(corpus, size)
        for tool, tool_builds in builds.items():
            print(
                f"[{size} articles] {scenario}: {tool} ...",
                end="",
                file=sys.stderr,
                flush=True,
            )
            log_dir = work / "logs" / f"all-{tool}-{scenario}"
            result = run_all_editions(tool, scenario, size, tool_builds, log_dir)
            results.append(result)
            print(f" {_status(result)}", file=sys.stderr, flush=True)
    return results


def _generate(size: int, corpus: Path, seed: int) -> None:
    if corpus.exists():
        shutil.rmtree(corpus)
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), str(size), str(corpus), "--seed", str(seed)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _status(result: RunResult) -> str:
    if result.ok and result.seconds is not None and result.peak_mb is not None:
        return f"{result.seconds:.2f} s, {result.peak_mb:.0f} MB"
    return "FAILED"


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def _mb(nbytes: int | None) -> str:
    return "-" if nbytes is None else f"{nbytes / 1e6:.2f}"


def _table(headers: list[str], rows: list[list[str]], left: int = 1) -> str:
    """Plain-text table; the first *left* columns are left-aligned."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        parts = [
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def report(results: list[RunResult], sizes: list[int]) -> str:
    by_key = {(r.size, r.tool == "triptych", r.edition): r for r in results}
    timing_rows: list[list[str]] = []
    output_rows: list[list[str]] = []
    for size in sizes:
        for edition in EDITIONS:
            q = by_key.get((size, True, edition))
            ref = by_key.get((size, False, edition))
            if q is None or ref is None:
                continue
            q_ok, r_ok = q.ok, ref.ok
            timing_rows.append(
                [
                    str(size),
                    edition,
                    _fmt(q.seconds, ".2f") if q_ok else "FAILED",
                    _fmt(q.peak_mb, ".0f") if q_ok else "-",
                    ref.tool,
                    _fmt(ref.seconds, ".2f") if r_ok else "FAILED",
                    _fmt(ref.peak_mb, ".0f") if r_ok else "-",
                    _ratio(q.seconds, ref.seconds) if q_ok and r_ok else "-",
                    _ratio(q.peak_mb, ref.peak_mb) if q_ok and r_ok else "-",
                ]
            )
            output_rows.append(
                [
                    str(size),
                    edition,
                    _mb(q.output_bytes),
                    _fmt(q.pdf_pages, "d") if edition == "pdf" else "",
                    ref.tool,
                    _mb(ref.output_bytes),
                    _fmt(ref.pdf_pages, "d") if edition == "pdf" else "",
                ]
            )
    parts = [
        _table(
            [
                "articles",
                "edition",
                "triptych s",
                "triptych MB",
                "reference",
                "ref s",
                "ref MB",
                "time q/r",
                "mem q/r",
            ],
            timing_rows,
            left=2,
        ),
        "",
        "Outputs (html: whole output directory without doctrees; MB = 10^6 bytes)",
        _table(
            [
                "articles",
                "edition",
                "triptych MB",
                "triptych pages",
                "reference",
                "ref MB",
                "ref pages",
            ],
            output_rows,
            left=2,
        ),
    ]
    failures = [r for r in results if not r.ok]
    if failures:
        parts += ["", "Failures:"]
        for r in failures:
            code = "not started" if r.returncode is None else f"exit {r.returncode}"
            parts.append(f"* {r.size} articles, {r.tool} {r.edition} ({code})")
            parts.append(f"  $ {' '.join(r.command)}")
            parts += [f"  | {line}" for line in r.stderr_tail]
    return "\n".join(parts)


def _per_second(pages: int | None, seconds: float | None) -> str:
    if pages is None or not seconds:
        return "-"
    return f"{pages / seconds:.1f}"


def report_rebuilds(results: list[RunResult], sizes: list[int]) -> str:
    """All three editions, cold, unchanged and after an edit, beside the reference tools."""
    by_key = {(r.size, r.tool, r.edition): r for r in results}
    rows: list[list[str]] = []
    for size in sizes:
        cold = {tool: by_key.get((size, tool, "cold")) for tool in ("triptych", "reference")}
        for scenario in SCENARIOS:
            q, ref = (
                by_key.get((size, "triptych", scenario)),
                by_key.get((size, "reference", scenario)),
            )
            if q is None or ref is None:
                continue
            q_cold, ref_cold = cold["triptych"], cold["reference"]
            rows.append(
                [
                    str(size),
                    scenario,
                    _fmt(q.seconds, ".2f") if q.ok else "FAILED",
                    _fmt(q.peak_mb, ".0f") if q.ok else "-",
                    _fmt(ref.seconds, ".2f") if ref.ok else "FAILED",
                    _fmt(ref.peak_mb, ".0f") if ref.ok else "-",
                    _ratio(q.seconds, ref.seconds) if q.ok and ref.ok else "-",
                    _ratio(q.peak_mb, ref.peak_mb) if q.ok and ref.ok else "-",
                    _fmt(q.cpu_seconds, ".1f") if q.ok else "-",
                    _fmt(ref.cpu_seconds, ".1f") if ref.ok else "-",
                    _ratio(q.cpu_seconds, ref.cpu_seconds) if q.ok and ref.ok else "-",
                    _ratio(q.seconds, q_cold.seconds) if q_cold and q.ok and q_cold.ok else "-",
                    _ratio(ref.seconds, ref_cold.seconds)
                    if ref_cold and ref.ok and ref_cold.ok
                    else "-",
                    _per_second(q.pdf_pages, q.seconds) if scenario == "cold" else "",
                    _per_second(ref.pdf_pages, ref.seconds) if scenario == "cold" else "",
                ]
            )
    return "\n".join(
        [
            (
                "All three editions (reference: sphinx html + sphinx epub + sphinx-simplepdf, "
                "times added up, largest peak memory)"
            ),
            _table(
                [
                    "articles",
                    "build",
                    "triptych s",
                    "triptych MB",
                    "ref s",
                    "ref MB",
                    "time q/r",
                    "mem q/r",
                    "q CPU s",
                    "ref CPU s",
                    "CPU q/r",
                    "q/cold",
                    "ref/cold",
                    "q PDF pages/s",
                    "ref PDF pages/s",
                ],
                rows,
                left=2,
            ),
            "(PDF pages/s: the book's pages over the whole cold build of all three editions)",
        ]
    )


def report_steps(results: list[RunResult], sizes: list[int]) -> str:
    """triptych's seconds per edition, cold, unchanged and after an edit, and against cold."""
    by_key = {(r.size, r.edition): r for r in results if r.tool == "triptych" and r.ok}
    rows: list[list[str]] = []
    for size in sizes:
        cold = by_key.get((size, "cold"))
        for scenario in SCENARIOS:
            run = by_key.get((size, scenario))
            if run is None:
                continue
            for step in (*EDITIONS_IN_BUILD_ORDER, "publish", "up to date"):
                if step not in run.step_seconds and not (
                    step in EDITIONS_IN_BUILD_ORDER and "up to date" in run.step_seconds
                ):
                    continue
                taken = run.step_seconds.get(step, 0.0)
                before = cold.step_seconds.get(step) if cold is not None else None
                rows.append(
                    [
                        str(size),
                        scenario,
                        step,
                        _fmt(taken, ".2f"),
                        _ratio(taken, before) if before else "-",
                    ]
                )
    return "\n".join(
        [
            (
                "triptych, each edition of the builds above (its own --timings; an unchanged "
                "publication builds none: 'up to date')"
            ),
            _table(["articles", "build", "edition", "s", "x cold"], rows, left=3),
        ]
    )


def _parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive integers")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark triptych against Sphinx html/epub and sphinx-simplepdf."
    )
    parser.add_argument(
        "--sizes",
        type=_parse_sizes,
        default=[50, 300, 1000],
        help="comma-separated corpus sizes in articles (default: 50,300,1000)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep corpora and outputs here (default: a temporary directory)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="parallel jobs; if not 1, passed as -j N to both tools (default: 1)",
    )
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (0)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--no-preview",
        action="store_true",
        help="skip the latencies of triptych serve (bench/preview.py; "
        "BENCH_PREVIEW_CORPUS=N adds the corpus of N articles)",
    )
    parser.add_argument(
        "--editions",
        action="store_true",
        help="also build each edition on its own beside its reference tool",
    )
    args = parser.parse_args(argv)

    sizes: list[int] = args.sizes
    with tempfile.TemporaryDirectory(prefix="triptych-bench-") as tmp:
        workdir: Path = args.workdir.resolve() if args.workdir else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        print(f"python: {sys.executable}", file=sys.stderr)
        print(f"workdir: {workdir}", file=sys.stderr)
        results: list[RunResult] = []
        rebuilds: list[RunResult] = []
        for size in sizes:
            corpus = workdir / f"corpus-{size}"
            _generate(size, corpus, args.seed)
            work = workdir / f"out-{size}"
            rebuilds += run_rebuilds(size, corpus, work, args.jobs)
            if not args.editions:
                continue
            for tool, edition, cmd, out, env in _runs(size, corpus, work, args.jobs):
                label = f"[{size} articles] {edition}: {tool}"
                print(f"{label} ...", end="", file=sys.stderr, flush=True)
                shutil.rmtree(out, ignore_errors=True)
                log_dir = work / "logs" / f"{out.name}"
                result = run_one(
                    tool=tool,
                    edition=edition,
                    size=size,
                    command=cmd,
                    out=out,
                    env=env,
                    log_dir=log_dir,
                )
                results.append(result)
                print(f" {_status(result)}", file=sys.stderr, flush=True)

    print()
    print(report_rebuilds(rebuilds, sizes))
    print()
    print(report_steps(rebuilds, sizes))
    failures = [r for r in rebuilds if not r.ok]
    for r in failures:
        print(f"\n* {r.size} articles, {r.tool} {r.edition} failed:")
        print("\n".join(f"  | {line}" for line in r.stderr_tail))
    if results:
        print()
        print(report(results, sizes))
    if args.json:
        payload = {
            "python": sys.executable,
            "sizes": sizes,
            "seed": args.seed,
            "jobs": args.jobs,
            "source_date_epoch": SOURCE_DATE_EPOCH,
            "results": [asdict(r) for r in results],
            "rebuilds": [asdict(r) for r in rebuilds],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if not args.no_preview:
        import preview  # bench/preview.py, beside this script

        print()
        preview.main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
