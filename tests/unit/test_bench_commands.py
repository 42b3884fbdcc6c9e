"""The benchmark reports what each concern, and each thousand events of a rebuild, costs the
database by kind of command, read from the services' own `database_commands_total`, and how long
those commands took on average (`database_command_seconds_total`)."""

from __future__ import annotations

from prometheus_client import generate_latest

from bench.run import COMMAND_SECONDS, commands_in, commands_spent, milliseconds_per_command
from shared.metrics import DATABASE_COMMAND_SECONDS, DATABASE_COMMANDS


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


def test_the_mean_time_per_command_is_each_services_seconds_over_its_commands() -> None:
    counted = (
        {"intake": {"find a": 10.0}, "outcomes": {"find a": 5.0}, "notification": {}},
        {
            "intake": {"find a": 30.0, "insert b": 20.0},
            "outcomes": {"find a": 5.0},
            "notification": {"find a": 4.0},
        },
    )
    seconds = (
        {"intake": {"find a": 1.0}, "outcomes": {"find a": 0.5}, "notification": {}},
        {
            "intake": {"find a": 1.2, "insert b": 0.4},
            "outcomes": {"find a": 0.5},
            "notification": {"find a": 0.01},
        },
    )

    assert milliseconds_per_command(counted, seconds) == {
        "intake": 15.0,
        "outcomes": 0.0,
        "notification": 2.5,
    }


def test_command_seconds_are_read_from_their_own_metric() -> None:
    before = commands_in(generate_latest().decode(), COMMAND_SECONDS)
    DATABASE_COMMAND_SECONDS.labels("find", "bench_probe").inc(0.25)
    DATABASE_COMMANDS.labels("find", "bench_probe").inc(7)
    after = commands_in(generate_latest().decode(), COMMAND_SECONDS)

    assert after["find bench_probe"] - before.get("find bench_probe", 0.0) == 0.25
