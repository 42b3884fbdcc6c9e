"""Peak resident memory and CPU time of the processes under test, sampled in a thread so that a
busy event loop in the benchmark cannot skip samples."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import psutil

MIB = 1024 * 1024


@dataclass
class Usage:
    peak_rss_mib: float = 0.0
    cpu_seconds: float = 0.0


@dataclass
class MemorySampler:
    """Samples every `interval` seconds; `phase` labels the samples taken while it is set."""

    interval: float = 0.5
    phase: str = "setup"
    usage: dict[str, dict[str, Usage]] = field(default_factory=dict)
    _processes: dict[str, psutil.Process] = field(default_factory=dict)
    _cpu_at_phase_start: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def watch(self, name: str, pid: int) -> None:
        """Follow a process (a later call with the same name follows its replacement)."""
        try:
            process = psutil.Process(pid)
        except psutil.NoSuchProcess:
            return
        with self._lock:
            self._processes[name] = process
            self._cpu_at_phase_start[name] = _cpu(process)

    def enter(self, phase: str) -> None:
        with self._lock:
            self._sample()
            self.phase = phase
            for name, process in self._processes.items():
                self._cpu_at_phase_start[name] = _cpu(process)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            self._sample()

    def peaks(self) -> dict[str, float]:
        """Peak RSS per process over every phase, in MiB."""
        result: dict[str, float] = {}
        for phases in self.usage.values():
            for name, used in phases.items():
                result[name] = max(result.get(name, 0.0), used.peak_rss_mib)
        return result

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                self._sample()

    def _sample(self) -> None:
        phase = self.usage.setdefault(self.phase, {})
        for name, process in self._processes.items():
            try:
                rss = process.memory_info().rss / MIB
                cpu = _cpu(process) - self._cpu_at_phase_start.get(name, 0.0)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            used = phase.setdefault(name, Usage())
            used.peak_rss_mib = max(used.peak_rss_mib, rss)
            used.cpu_seconds = max(used.cpu_seconds, cpu)


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0
    return float(times.user + times.system)
