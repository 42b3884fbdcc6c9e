"""The README's event catalogue is the one the contracts generate."""

from __future__ import annotations

from pathlib import Path

from shared.events.catalogue import catalogue

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_lists_every_event_as_the_contracts_define_it() -> None:
    text = README.read_text()
    documented = text.split("<!-- catalogue:start -->\n", 1)[1].split("<!-- catalogue:end -->", 1)[
        0
    ]
    assert documented == catalogue(), "run `python -m shared.events.catalogue` and update README.md"
