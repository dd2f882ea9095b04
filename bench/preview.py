"""How long ``triptych serve`` takes from a save to what the author sees.

Usage::

    python bench/preview.py [--source docs] [--corpus N] [--edits 3]

``triptych serve`` runs as its own process on a copy of the source (the
repository's files are never edited), with its preview in a temporary
folder. Once the first site, PDF and EPUB are built, a sentence is appended
to an article, then:

* *edit to reloaded page*: from the save until the page's socket says
  "reload" and the page, fetched again, holds the sentence;
* *edit to updated PDF*: from the save until the socket announces a PDF
  laid out after it (its pages drawn for the PDF page).

With ``--corpus N`` (``make bench`` passes ``BENCH_PREVIEW_CORPUS``), the
site alone is previewed on the synthetic corpus of N articles as well. The
median of the edits is printed beside each target; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from websockets.sync.client import connect

HERE = Path(__file__).resolve().parent
#: The targets, in seconds.
TARGETS = {"site": 1.0, "pdf": 5.0, "corpus": 3.0}
#: Longest wait for anything: the first PDF of a large source.
PATIENCE = 600


@dataclass
class Latencies:
    label: str
    site: list[float]
    pdf: list[float]


def _wait_for_url(process: subprocess.Popen[str]) -> str:
    """The URL ``triptych serve`` prints; what it prints next is read and dropped."""
    stdout = process.stdout
    assert stdout is not None
    for line in stdout:
        if found := re.search(r"previewing at (http://\S+/)", line):
            threading.Thread(target=stdout.read, daemon=True).start()
            return found[1]
    raise RuntimeError("triptych serve ended before it listened")


def measure(source: Path, article: str, *, books: bool, edits: int, label: str) -> Latencies:
    """Serve a copy of *source*, edit *article* *edits* times, time what follows each edit."""
    with tempfile.TemporaryDirectory(prefix="triptych-preview-bench-") as tmp:
        copy = Path(tmp) / "source"
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("_build", "build"))
        command = [sys.executable, "-m", "triptych.cli", "serve", str(copy), "--port", "0"]
        command += ["--preview-dir", str(Path(tmp) / "preview")]
        if not books:
            command.append("--site-only")
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1
        )
        try:
            url = _wait_for_url(process)
            return _edits(url, copy / article, article, books=books, edits=edits, label=label)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _edits(url: str, path: Path, article: str, *, books: bool, edits: int, label: str) -> Latencies:
    origin = url.rstrip("/")
    page = url + Path(article).with_suffix(".html").as_posix()
    latencies = Latencies(label, [], [])
    with connect(url.replace("http://", "ws://") + "_triptych/ws", origin=origin) as socket:  # type: ignore[arg-type]
        state = json.loads(socket.recv(timeout=PATIENCE))
        deadline = time.monotonic() + PATIENCE
        # Wait for the first site and, when asked, the first books.
        while not state.get("site") or (books and not (state.get("books") or {}).get("pdf")):
            state = json.loads(socket.recv(timeout=max(deadline - time.monotonic(), 1)))
        generation = (state.get("books") or {}).get("pdf", {}).get("generation", 0)
        for number in range(edits):
            time.sleep(1)  # the file's time stamp must move on
            sentence = f"Edited for the benchmark, edit {number} at {time.time_ns()}."
            started = time.perf_counter()
            path.write_text(path.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")
            site_done = pdf_done = None
            while site_done is None or (books and pdf_done is None):
                message = json.loads(socket.recv(timeout=PATIENCE))
                now = time.perf_counter()
                if site_done is None and message.get("reload"):
                    with urllib.request.urlopen(page, timeout=30) as response:
                        if sentence.encode() in response.read():
                            site_done = time.perf_counter() - started
                pdf = (message.get("books") or {}).get("pdf") or {}
                laid_out = message["type"] == "books" and not message["books"].get("building")
                if laid_out and pdf.get("generation", 0) > generation:
                    generation = pdf["generation"]
                    pdf_done = now - started
            latencies.site.append(site_done)
            if books and pdf_done is not None:
                latencies.pdf.append(pdf_done)
    return latencies


def report(rows: list[Latencies]) -> str:
    lines = ["Preview (triptych serve): median of the edits, seconds", ""]
    header = f"{'source':<28} {'measure':<28} {'median':>7} {'worst':>7} {'target':>7}  met"
    lines += [header, "-" * len(header)]
    for row in rows:
        measures = [
            ("edit to reloaded page", row.site, "corpus" if "corpus" in row.label else "site")
        ]
        if row.pdf:
            measures.append(("edit to updated PDF", row.pdf, "pdf"))
        for name, values, target in measures:
            median, worst = statistics.median(values), max(values)
            met = "yes" if median <= TARGETS[target] else "no"
            lines.append(
                f"{row.label:<28} {name:<28} {median:>7.2f} {worst:>7.2f} "
                f"{TARGETS[target]:>7.1f}  {met}"
            )
    return "\n".join(lines)


def run(source: Path, corpus: int | None, edits: int) -> str:
    rows = [measure(source, _an_article(source), books=True, edits=edits, label=f"{source.name}/")]
    if corpus:
        with tempfile.TemporaryDirectory(prefix="triptych-preview-corpus-") as tmp:
            folder = Path(tmp) / f"corpus-{corpus}"
            subprocess.run(
                [sys.executable, str(HERE / "generate.py"), str(corpus), str(folder)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            middle = f"article-{corpus // 2:04d}.md"
            rows.append(
                measure(
                    folder, middle, books=False, edits=edits, label=f"corpus of {corpus} articles"
                )
            )
    return report(rows)


def _an_article(source: Path) -> str:
    """An article that is neither the first page nor the glossary: the one most edited."""
    names = sorted(p.name for p in source.glob("*.md") if p.stem not in {"index", "glossary"})
    return names[len(names) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=HERE.parent / "docs")
    parser.add_argument(
        "--corpus",
        type=int,
        default=int(os.environ.get("BENCH_PREVIEW_CORPUS") or 0) or None,
        help="also the synthetic corpus of N articles, site only (default: $BENCH_PREVIEW_CORPUS)",
    )
    parser.add_argument("--edits", type=int, default=3)
    args = parser.parse_args(argv)
    print(run(args.source, args.corpus, args.edits))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
