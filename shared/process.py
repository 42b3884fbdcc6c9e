"""The process a service runs in: settings of the Python runtime itself."""

from __future__ import annotations

import gc

COLLECT_AFTER_ALLOCATIONS = 10_000
"""How many more container objects than freed the youngest generation holds before the cyclic
garbage collector runs (CPython's default is 700; see `settle_garbage_collection`)."""


def settle_garbage_collection() -> None:
    """Set up the cyclic garbage collector for a long-running service process, once its code and
    settings are loaded. Nearly everything made by then (modules, classes, validators) lives as
    long as the process: `gc.freeze` takes it out of every later collection. A consumer batch
    makes and drops tens of thousands of objects, and with CPython's default threshold the
    collector runs every 700 of them and, every hundredth time, may go over the whole heap:
    decoding 50,000 events took 1.3 s with the defaults and 0.7 s with this (freezing or the
    threshold alone gave most of it). Garbage that only reference counting misses, cycles, waits
    a little longer to be freed; the services' peak RSS is measured by `make bench`."""
    gc.collect()  # what start-up left for the collector, before the rest is frozen for good
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(COLLECT_AFTER_ALLOCATIONS, older, oldest)
