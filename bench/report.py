"""The benchmark's answer: a table of figures against their raw baselines and targets, and the
same as JSON with the facts of the machine it ran on."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
REFERENCE = RESULTS / "reference.json"
"""The newest full run, kept in the repository: each figure is printed beside its value there."""


@dataclass(frozen=True)
class Row:
    """One line of the table. `ratio` is figure / baseline; `met` is None where there is no
    target (a figure reported for information)."""

    figure: str
    value: float
    unit: str
    shown: str = ""
    """How the value is printed, when one number does not say enough (e.g. p50/p95/p99)."""
    baseline: float | None = None
    baseline_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


def at_most(limit: float, value: float | None) -> bool | None:
    return None if value is None else value <= limit


def at_least(limit: float, value: float | None) -> bool | None:
    return None if value is None else value >= limit


def ratio(value: float, baseline: float | None) -> float | None:
    return value / baseline if baseline else None


def kafka_version() -> str:
    pom = (ROOT / "infra" / "kafka" / "pom.xml").read_text()
    found = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom)
    return found.group(1) if found else "unknown"


def machine() -> dict[str, object]:
    memory = psutil.virtual_memory()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(memory.total / 2**30, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "kafka_version": kafka_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def revision() -> str:
    """The commit of the code measured (the services run from this checkout, `infra.stack`),
    marked when the checkout has changes not committed."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{commit or 'unknown'}{' with changes' if changed else ''}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def latencies(stage: Mapping[str, float]) -> str:
    """p50/p95/p99 in ms; marked as lower bounds when some events never arrived."""
    shown = "p50/p95/p99 " + "/".join(f"{stage[p] * 1000:.0f}" for p in ("p50", "p95", "p99"))
    missing = int(stage.get("not_arrived", 0))
    return f"{shown} ms" + (f" (≥: {missing} of {stage['n']:.0f} not seen)" if missing else "")


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.0f} s"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 1:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".strip()


def _ratio(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 1:
        return f"{value:.1f}x"
    return f"{value * 100:.1f}%" if value >= 0.01 else f"{value * 100:.2g}%"


def reference_figures(path: Path = REFERENCE) -> dict[str, str]:
    """Each figure of the reference run as it was printed there (value and ratio), by name;
    empty when there is no reference."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    figures: dict[str, str] = {}
    for found in document.get("table", []):
        row = Row(**found)
        shown = row.shown or _number(row.value, row.unit)
        figures[row.figure] = shown if row.ratio is None else f"{shown} ({_ratio(row.ratio)})"
    return figures


def table(rows: list[Row], reference: Mapping[str, str] | None = None) -> str:
    """The figures; with `reference`, each beside the reference run's (a regression shows)."""
    header: tuple[str, ...] = ("figure", "value", "baseline", "ratio", "target", "met?")
    if reference is not None:
        header += ("reference",)
    lines = [
        (
            row.figure,
            row.shown or _number(row.value, row.unit),
            f"{_number(row.baseline, row.unit)} ({row.baseline_name})" if row.baseline else "–",
            _ratio(row.ratio),
            row.target or "–",
            {True: "yes", False: "NO", None: "–"}[row.met],
        )
        + (() if reference is None else (reference.get(row.figure, "–"),))
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]

    def format_line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [format_line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out.extend(format_line(line) for line in lines)
    notes = [f"- {row.figure}: {row.note}" for row in rows if row.note]
    return "\n".join(out + (["", *notes] if notes else []))


def write(started: datetime, result: dict[str, object], rows: list[Row]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{started:%Y%m%dT%H%M%SZ}.json"
    document = {**result, "table": [asdict(row) for row in rows]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path
