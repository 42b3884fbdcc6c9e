"""Each service's process sets up the garbage collector before it serves (`shared.process`)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from types import SimpleNamespace

import pytest

from shared.process import COLLECT_AFTER_ALLOCATIONS

SERVICE_ENTRY_POINTS = [
    "services.intake.main",
    "services.notification.main",
    "services.outcomes.main",
    "services.practitioner_web.main",
]


def test_settling_freezes_what_was_loaded_and_collects_the_youngest_less_often() -> None:
    # In a process of its own: freezing this one would keep the tests' garbage for good.
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc\n"
            "from shared.process import settle_garbage_collection\n"
            "before = gc.get_threshold()\n"
            "settle_garbage_collection()\n"
            "print(gc.get_freeze_count(), *before, *gc.get_threshold())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    frozen, *thresholds = map(int, shown)
    before, after = thresholds[:3], thresholds[3:]
    assert frozen > 1000  # the modules loaded by then, at least
    assert after == [COLLECT_AFTER_ALLOCATIONS, *before[1:]]
    assert before[0] < COLLECT_AFTER_ALLOCATIONS


@pytest.mark.parametrize("module", SERVICE_ENTRY_POINTS)
def test_each_service_process_settles_the_collector_before_it_serves(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = importlib.import_module(module)
    steps: list[str] = []
    settings = SimpleNamespace(log_level="INFO", http_host="127.0.0.1", http_port=0)
    monkeypatch.setattr(main, "settings_to_start", lambda *_: settings)
    monkeypatch.setattr(main, "configure_logging", lambda *_: steps.append("logging"))
    monkeypatch.setattr(main, "settle_garbage_collection", lambda: steps.append("settled"))
    if hasattr(main, "serve"):
        monkeypatch.setattr(main, "serve", lambda _: "serving")
        monkeypatch.setattr(main, "asyncio", SimpleNamespace(run=lambda _: steps.append("served")))
    else:
        monkeypatch.setattr(main, "build", lambda _: "app")
        monkeypatch.setattr(
            main, "uvicorn", SimpleNamespace(run=lambda *_, **__: steps.append("served"))
        )

    main.run()

    assert steps == ["logging", "settled", "served"]
