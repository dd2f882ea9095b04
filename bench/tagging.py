"""Time PDF/UA tagging of a laid-out book with pydyf's page references as released and as kept.

Usage::

    python bench/tagging.py BUILD/doctrees/triptych-pdf/SLUG.html [--source DIR]

The print HTML a PDF build left beside its doctrees is laid out once; the
layout is then written to PDF twice, first with ``pydyf.PDF.page_references``
as pydyf ships it (a tuple of every page built on each read), then with
triptych's replacement (:mod:`triptych.builders.pdf.pydyf_pages`). Both PDFs
must be byte-identical; the CPU times of the two writes are printed (the
machine may be shared: wall time is shown beside them).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("print_html", type=Path, help="the print HTML of a PDF build")
    parser.add_argument(
        "--source", type=Path, help="the publication's folder (for its images; default: none)"
    )
    args = parser.parse_args(argv)

    import pydyf

    released = pydyf.PDF.page_references
    from triptych.builders.pdf.layout import PrintLayout
    from triptych.builders.pdf.pydyf_pages import keep_page_references

    staging = args.print_html.resolve().parent
    layout = PrintLayout(
        roots=(*([args.source.resolve()] if args.source else []), staging),
        base_dir=staging,
        extra_css="",
        paper_size="A4",
        chapter_start="page",
        page_reference=" (p. {page})",
        pdf_variant="pdf/ua-1",
    )
    started = time.process_time()
    document = layout.render(args.print_html.read_text(encoding="utf-8"))
    laid_out = time.process_time() - started
    print(f"layout: {laid_out:.1f} s CPU, {len(document.pages)} pages", flush=True)

    times: dict[str, float] = {}
    outputs: dict[str, bytes] = {}
    for name in ("released", "kept"):
        pydyf.PDF.page_references = released
        if name == "kept" and not keep_page_references():
            print(f"pydyf {pydyf.__version__} is not a checked version", file=sys.stderr)
            return 1
        started, cpu_started = time.perf_counter(), time.process_time()
        outputs[name] = layout.write(document)
        times[name] = time.process_time() - cpu_started
        wall = time.perf_counter() - started
        print(
            f"write_pdf, page references {name}: {times[name]:.1f} s CPU ({wall:.1f} s wall)",
            flush=True,
        )
    same = outputs["released"] == outputs["kept"]
    ratio = times["kept"] / times["released"]
    print(f"CPU time kept/released: {ratio:.2f}; identical PDFs: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
