"""Benchmark triptych against plain Sphinx and sphinx-simplepdf.

Usage::

    python bench/run.py [--sizes 50,300] [--workdir DIR] [--jobs 1]
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
    return code, seconds, peak_mb, _tail(stderr_path)


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


def _generate(size: int, corpus: Path, seed: int) -> None:
    if corpus.exists():
        shutil.rmtree(corpus)
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), str(size), str(corpus), "--seed", str(seed)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


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
        default=[50, 300],
        help="comma-separated corpus sizes in articles (default: 50,300)",
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
    args = parser.parse_args(argv)

    sizes: list[int] = args.sizes
    with tempfile.TemporaryDirectory(prefix="triptych-bench-") as tmp:
        workdir: Path = args.workdir.resolve() if args.workdir else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        print(f"python: {sys.executable}", file=sys.stderr)
        print(f"workdir: {workdir}", file=sys.stderr)
        results: list[RunResult] = []
        for size in sizes:
            corpus = workdir / f"corpus-{size}"
            _generate(size, corpus, args.seed)
            work = workdir / f"out-{size}"
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
                status = (
                    f"{result.seconds:.2f} s, {result.peak_mb:.0f} MB"
                    if result.ok and result.seconds is not None and result.peak_mb is not None
                    else "FAILED"
                )
                print(f" {status}", file=sys.stderr, flush=True)

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
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if not args.no_preview:
        import preview  # bench/preview.py, beside this script

        print()
        preview.main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
