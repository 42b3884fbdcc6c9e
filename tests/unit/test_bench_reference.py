"""`make bench` prints each figure beside the kept reference run's, so a regression shows."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from bench.report import Row, reference_figures, table


def test_each_figure_is_printed_beside_the_reference_runs(tmp_path: Path) -> None:
    kept = [
        Row("Kafka burst", 5.2, "/s", baseline=100.0, baseline_name="durable", ratio=0.052),
        Row("Peak RSS intake", 90.0, "MiB"),
    ]
    reference = tmp_path / "reference.json"
    reference.write_text(json.dumps({"table": [asdict(row) for row in kept]}))
    now = [Row("Kafka burst", 40.0, "/s", baseline=100.0, baseline_name="durable", ratio=0.4)]
    now.append(Row("A new figure", 1.0, "s"))

    figures = reference_figures(reference)
    printed = table(now, figures).splitlines()

    assert figures == {"Kafka burst": "5.2 /s (5.2%)", "Peak RSS intake": "90.0 MiB"}
    assert printed[0].split("|")[-2].strip() == "reference"
    assert printed[2].split("|")[-2].strip() == "5.2 /s (5.2%)"
    assert printed[3].split("|")[-2].strip() == "–"


def test_without_a_reference_the_table_has_no_reference_column(tmp_path: Path) -> None:
    assert reference_figures(tmp_path / "missing.json") == {}
    assert "reference" not in table([Row("Peak RSS intake", 90.0, "MiB")])
