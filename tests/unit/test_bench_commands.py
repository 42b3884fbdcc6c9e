"""The benchmark reports what each concern, and each thousand events of a rebuild, costs the
database by kind of command, read from the services' own `database_commands_total`."""

from __future__ import annotations

from prometheus_client import generate_latest

from bench.run import commands_in, commands_spent
from shared.metrics import DATABASE_COMMANDS


def test_commands_are_read_by_kind_from_a_services_metrics_and_divided_most_first() -> None:
    before = commands_in(generate_latest().decode())
    DATABASE_COMMANDS.labels("insert", "bench_probe").inc(3)
    DATABASE_COMMANDS.labels("find", "bench_probe").inc(5)
    DATABASE_COMMANDS.labels("commitTransaction", "").inc(2)
    after = commands_in(generate_latest().decode())

    spent = commands_spent(before, after, per=2)

    assert spent == {"find bench_probe": 2.5, "insert bench_probe": 1.5, "commitTransaction": 1.0}
    assert list(spent) == ["find bench_probe", "insert bench_probe", "commitTransaction"]
    assert commands_spent(after, after, per=2) == {}
