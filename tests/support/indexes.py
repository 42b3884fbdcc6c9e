"""Which indexes the server reads for a query, from its explained plan."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared.mongo import Document


def index_names(plan: Any) -> Iterator[str]:
    """Every index an explained query's plan reads (its stages nest)."""
    if isinstance(plan, dict):
        for key, value in plan.items():
            if key == "indexName" and isinstance(value, str):
                yield value
            else:
                yield from index_names(value)
    elif isinstance(plan, list):
        for item in plan:
            yield from index_names(item)


def indexes_read(explained: Document) -> set[str]:
    """The indexes the winning plan of an explained `find` reads."""
    return set(index_names(explained["queryPlanner"]["winningPlan"]))
