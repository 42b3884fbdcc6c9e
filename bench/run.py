"""`make bench`: the system under load on real servers, each figure beside a raw baseline
measured on the same servers in the same run.

    BENCH_SCALE=0.05 make bench    # a quick run: every count x 0.05 (about 3 minutes)
    make bench                     # the full run (about 20 minutes on 2 cores)

It starts its own Kafka and MongoDB-wire server (state in .local/bench, Kafka on 39092/39093,
MongoDB on 57017, Keycloak on 39080; BENCH_KAFKA_PORT, BENCH_KAFKA_CONTROLLER_PORT,
BENCH_MONGO_PORT and BENCH_KEYCLOAK_PORT choose others) unless KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI are both set, then the three
services as separate processes (logs in .local/bench/services/), and stops everything it
started when it ends, however it ends.

1. End to end. A few concerns warm the system up; then concerns one at a time (each sent when
   the person before was informed: the latency of an idle system); then partners POST at a
   steady 20/s for 60 s, then as fast as intake answers (16 partners, 30 s). For each concern:
   the time from the POST until (a) ConcernRaised is on Kafka, (b) the case file shows the case
   (a MongoDB change stream on outcomes' case_files collection), (c) PersonInformed is on Kafka;
   and (d) from the practitioner's safe-contact decision until PersonInformed. Nothing is sent
   before that decision, so the benchmark plays the practitioner (`bench/practitioner.py`): it
   confirms an email to each person as soon as notification has read the concern, and (c)
   includes that wait.
   Baseline: a raw Kafka round trip p99 plus a raw MongoDB insert-and-read p99.
2. Kafka intake burst: 100,000 submissions published at once; the time until intake has raised
   (or refused) every one, or what it managed within 300 s. Baseline: a raw consumer reading
   the same messages.
3. Projection rebuild: the services above are stopped (their backlog would compete); 1,000,000
   case events are published to the outcomes topic: 2,000 histories decided by the real Case
   aggregate, copied under new ids. A fresh outcomes service, started at the end of its topics,
   rebuilds each projection through its admin API (at most 110 s each; the rate then comes
   from its progress). Baseline: raw insert_many of the same events as documents.
4. Peak memory (RSS) and CPU time of every process, per phase.

`BENCH_PHASES=end_to_end` (a comma-separated list of end_to_end, intake_burst,
projection_rebuild) runs only those phases, e.g. to profile one.

Time bounds keep a slow machine's run finite; the table says where one was reached. Timings
never fail the run: the table says whether each target was met. Results go to
bench/results/<UTC time>.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from bench.arrivals import DocumentArrivals, Json, TopicArrivals
from bench.baselines import (
    durable_intake_rate,
    insert_many_rate_of,
    kafka_round_trip,
    mongo_insert_and_read,
    percentiles,
    publish_raw,
    raw_consume_rate,
)
from bench.case_histories import CaseCopies
from bench.memory import MemorySampler
from bench.partners import HttpPartner, Sent, kafka_headers, kafka_submission, reference
from bench.practitioner import Practitioner
from bench.report import (
    REFERENCE,
    Row,
    at_least,
    at_most,
    latencies,
    machine,
    ratio,
    reference_figures,
    revision,
    table,
    write,
)
from infra.local import Layout, read_environment, running_pid
from infra.sign_in import SignInSettings, StaffSignIn, TestUser
from infra.stack import Endpoints, Stack, free_port
from services.outcomes.application.reactions import CaseOpening
from services.outcomes.domain.case import case_id_for
from services.outcomes.read_models.case_file import COLLECTION as CASE_FILES
from services.outcomes.read_models.case_file import CaseFiles
from services.outcomes.read_models.msp_report import CaseSummaries
from services.outcomes.read_models.timeline import Timelines
from services.outcomes.read_models.work_items import WorkItems
from shared.erasure import ErasureReaction
from shared.kafka import connection_options, producer
from shared.mongo import Client, Document, connect
from shared.topics import CONCERN_SUBMISSIONS, INTAKE_EVENTS, NOTIFICATION_EVENTS, OUTCOMES_EVENTS

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".local" / "bench"
T = TypeVar("T")
SERVICES = ("intake", "outcomes", "notification")
PHASES = ("end_to_end", "intake_burst", "projection_rebuild")
# The outcomes service's consumers, so a fresh outcomes service can be started at the end of its
# topics (it then rebuilds from the beginning rather than first catching up live). Every one: a
# consumer left out catches up live through the rebuilds, competing with them.
OUTCOMES_CONSUMERS = (CaseOpening, CaseFiles, Timelines, CaseSummaries, WorkItems, ErasureReaction)


@dataclass(frozen=True)
class Plan:
    """Every count scaled by BENCH_SCALE; time bounds keep a slow machine's run finite."""

    scale: float
    steady_rate: float = 20.0
    steady_seconds: float = 60.0
    flat_out_seconds: float = 30.0
    flat_out_limit: int = 6000
    flat_out_partners: int = 16
    drain_seconds: float = 120.0
    unloaded_concerns: int = 10
    baseline_samples: int = 300
    burst_submissions: int = 100_000
    burst_bound_seconds: float = 300.0
    rebuild_events: int = 1_000_000
    rebuild_bound_seconds: float = 110.0
    insert_bound_seconds: float = 60.0

    @classmethod
    def scaled(cls, scale: float) -> Plan:
        plain = cls(scale=scale)
        return cls(
            scale=scale,
            steady_seconds=max(3.0, plain.steady_seconds * scale),
            flat_out_seconds=max(3.0, plain.flat_out_seconds * scale),
            flat_out_limit=max(50, round(plain.flat_out_limit * scale)),
            drain_seconds=max(60.0, plain.drain_seconds * scale),
            unloaded_concerns=max(5, round(plain.unloaded_concerns * scale)),
            baseline_samples=max(100, round(plain.baseline_samples * scale)),
            burst_submissions=max(100, round(plain.burst_submissions * scale)),
            burst_bound_seconds=max(60.0, plain.burst_bound_seconds * scale),
            rebuild_events=max(1000, round(plain.rebuild_events * scale)),
            rebuild_bound_seconds=max(60.0, plain.rebuild_bound_seconds * scale),
            insert_bound_seconds=max(20.0, plain.insert_bound_seconds * scale),
        )


@dataclass
class Outcome:
    """What a phase measured: figures for the JSON and rows for the table."""

    figures: dict[str, object] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- servers and services


@dataclass(frozen=True)
class Servers:
    kafka: str
    mongodb_uri: str
    sign_in: SignInSettings
    """The identity provider the services trust, and its test client and users."""
    layout: Layout | None
    """Set when this run started the servers (and so must stop them)."""


@contextlib.contextmanager
def servers() -> Iterator[Servers]:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    mongo = os.environ.get("MONGODB_URI")
    if kafka and mongo:
        say(f"using the servers in the environment: {kafka}, {mongo}")
        yield Servers(kafka, mongo, SignInSettings.from_env(os.environ), None)
        return
    # Other ports than the defaults let two checkouts' benchmarks (or tests) run side by side.
    layout = Layout(
        state=STATE,
        kafka_port=int(os.environ.get("BENCH_KAFKA_PORT", "39092")),
        controller_port=int(os.environ.get("BENCH_KAFKA_CONTROLLER_PORT", "39093")),
        mongo_port=int(os.environ.get("BENCH_MONGO_PORT", "57017")),
        keycloak_port=int(os.environ.get("BENCH_KEYCLOAK_PORT", "39080")),
    )
    environment = {
        **os.environ,
        "INFRA_STATE_DIR": str(layout.state),
        "INFRA_KAFKA_PORT": str(layout.kafka_port),
        "INFRA_KAFKA_CONTROLLER_PORT": str(layout.controller_port),
        "INFRA_MONGO_PORT": str(layout.mongo_port),
        "INFRA_KEYCLOAK_PORT": str(layout.keycloak_port),
    }

    def infra(*command: str) -> None:
        # As its own process, like `make infra-up`: the servers must not be children of this
        # one, or a stopped server would linger as a zombie that `down` waits on for ever.
        subprocess.run(
            [sys.executable, str(ROOT / "infra" / "local.py"), *command],
            env=environment,
            check=True,
        )

    infra("setup")
    try:
        infra("up", "--fresh")
        yield Servers(
            layout.bootstrap,
            layout.mongodb_uri,
            SignInSettings.from_env(read_environment(layout.state)),
            layout,
        )
    finally:
        infra("down")


def new_stack(servers: Servers, services: Sequence[str], run: str, name: str) -> Stack:
    return Stack(
        state=STATE / "services" / name,
        endpoints=Endpoints(
            kafka_bootstrap_servers=servers.kafka,
            mongodb_uri=servers.mongodb_uri,
            oidc_issuer=servers.sign_in.issuer,
            smtp_port=free_port(),
            service_ports={service: free_port() for service in services},
        ),
        extra_env={"CONSUMER_GROUP_PREFIX": f"bench-{run}-{name}"},
        database_prefix=f"bench_{run}_{name}_",
    )


def stopped(stack: Stack) -> list[str]:
    """Services of the stack that are no longer running, and why to look in their logs."""
    return [
        f"{name} exited with code {process.returncode} (see {stack.state / (name + '.log')})"
        for name, process in stack.processes.items()
        if process.poll() is not None
    ]


def start(stack: Stack, sampler: MemorySampler) -> None:
    try:
        stack.start()
    finally:
        for service, process in stack.processes.items():
            if service in SERVICES:
                sampler.watch(service, process.pid)


# ---------------------------------------------------------------- 1. end to end


def _after(
    sent: Sequence[Sent], seen: dict[str, float], key: Callable[[str], str], gave_up: float
) -> dict[str, float]:
    """Percentiles of the time from each accepted concern's POST until its event was seen. One
    never seen counts as seen when the wait ended, so the percentiles are then lower bounds
    (`not_arrived` says how many)."""
    timings, missing = [], 0
    for s in sent:
        if s.concern_id is None:
            continue
        at = seen.get(key(s.concern_id))
        if at is None:
            missing += 1
            at = gave_up
        timings.append(at - s.started)
    return {**percentiles(timings), "not_arrived": missing}


def _same(concern_id: str) -> str:
    return concern_id


def _between(
    sent: Sequence[Sent], first: dict[str, float], then: dict[str, float]
) -> dict[str, float]:
    """Percentiles of the time from each concern's `first` arrival to its `then` arrival
    (concerns with both only)."""
    return percentiles(
        [
            then[s.concern_id] - first[s.concern_id]
            for s in sent
            if s.concern_id in first and s.concern_id in then
        ]
    )


async def warm_up(stack: Stack, informed: TopicArrivals, run: str, concerns: int = 3) -> None:
    """A few concerns through the whole system first, so that consumer groups have joined and
    connections are open before anything is timed."""
    say(f"warming up: {concerns} concerns through the whole system")
    async with httpx.AsyncClient(base_url=stack.endpoints.url("intake"), timeout=60) as http:
        partner = HttpPartner(http, f"{run}-warm")
        sent = [await partner.send_one() for _ in range(concerns)]
    accepted = [s.concern_id for s in sent if s.concern_id]
    if not accepted:
        raise RuntimeError(
            f"intake accepted none of {concerns} concerns (HTTP {[s.status for s in sent]}); "
            f"see {stack.state / 'intake.log'}"
        )
    told = await informed.wait_for(accepted, time.perf_counter() + 120)
    if told < len(accepted):
        say(f"warm-up: only {told} of {len(accepted)} people were informed within 120 s")


async def one_at_a_time(
    stack: Stack, informed: TopicArrivals, run: str, concerns: int
) -> list[Sent]:
    """Each concern sent only when the person before was informed: the latency of a system
    with nothing else to do."""
    say(f"one at a time: {concerns} concerns, each after the last person was informed")
    sent = []
    async with httpx.AsyncClient(base_url=stack.endpoints.url("intake"), timeout=60) as http:
        partner = HttpPartner(http, f"{run}-one")
        for _ in range(concerns):
            one = await partner.send_one()
            sent.append(one)
            if one.concern_id:
                await informed.wait_for([one.concern_id], time.perf_counter() + 60)
    return sent


async def end_to_end(
    plan: Plan, stack: Stack, client: Client, run: str, sign_in: SignInSettings
) -> Outcome:
    kafka = stack.endpoints.kafka_bootstrap_servers
    practitioner = Practitioner(kafka, stack.endpoints.url("notification"), StaffSignIn(sign_in))
    raised = TopicArrivals(
        kafka, INTAKE_EVENTS, {"ConcernRaised"}, lambda _, payload: payload.get("concern_id")
    )

    def informed_of(_: str, payload: Json) -> str | None:
        if payload.get("source_event_type") == "ConcernRaised":
            return str(payload.get("concern_id"))
        return None

    informed = TopicArrivals(kafka, NOTIFICATION_EVENTS, {"PersonInformed"}, informed_of)
    case_files = DocumentArrivals(client[f"{stack.database_prefix}outcomes"], CASE_FILES)
    for watch in (raised, informed, case_files, practitioner):
        await watch.start()
    try:
        await warm_up(stack, informed, run)
        say("baselines: raw Kafka round trip, raw MongoDB insert + read")
        round_trip = percentiles(await kafka_round_trip(kafka, plan.baseline_samples))
        insert_read = percentiles(await mongo_insert_and_read(client, plan.baseline_samples))
        alone = await one_at_a_time(stack, informed, run, plan.unloaded_concerns)
        async with httpx.AsyncClient(
            base_url=stack.endpoints.url("intake"),
            timeout=60,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=200),
        ) as http:
            partner = HttpPartner(http, f"{run}-http")
            commands_before = await database_commands(stack)
            seconds_before = await database_commands(stack, COMMAND_SECONDS)
            say(f"steady: {plan.steady_rate:.0f} concerns/s for {plan.steady_seconds:.0f} s")
            begun = time.perf_counter()
            steady = await partner.steady(plan.steady_rate, plan.steady_seconds)
            steady_took = time.perf_counter() - begun
            say(
                f"flat out: {plan.flat_out_partners} partners for {plan.flat_out_seconds:.0f} s "
                f"(at most {plan.flat_out_limit} concerns)"
            )
            begun = time.perf_counter()
            flat_out = await partner.flat_out(
                plan.flat_out_seconds, plan.flat_out_limit, plan.flat_out_partners
            )
            flat_out_began, flat_out_took = begun, time.perf_counter() - begun
        accepted = [s.concern_id for s in steady + flat_out if s.concern_id]
        case_ids = [case_id_for(c) for c in accepted]
        say(f"waiting (at most {plan.drain_seconds:.0f} s) for {len(accepted)} concerns to arrive")
        deadline = time.perf_counter() + plan.drain_seconds
        counts = await asyncio.gather(
            raised.wait_for(accepted, deadline),
            case_files.wait_for(case_ids, deadline),
            informed.wait_for(accepted, deadline),
        )
        gave_up = time.perf_counter()
        commands_after = await database_commands(stack)
        seconds_after = await database_commands(stack, COMMAND_SECONDS)
    finally:
        for watch in (raised, informed, case_files, practitioner):
            await watch.stop()

    def stages(sent: list[Sent]) -> dict[str, dict[str, float]]:
        return {
            "concern_raised_on_kafka": _after(sent, raised.seen, _same, gave_up),
            "case_file_shows_case": _after(sent, case_files.seen, case_id_for, gave_up),
            "person_informed_on_kafka": _after(sent, informed.seen, _same, gave_up),
            "visible_for_decision": _after(sent, practitioner.visible.seen, _same, gave_up),
            "safe_contact_decided": _after(sent, practitioner.decided.seen, _same, gave_up),
            "decided_after_visible": _between(
                sent, practitioner.visible.seen, practitioner.decided.seen
            ),
            "person_informed_after_decision": _between(
                sent, practitioner.decided.seen, informed.seen
            ),
            "http_answer": percentiles([s.ended - s.started for s in sent if s.concern_id]),
        }

    steady_stages, flat_stages, alone_stages = stages(steady), stages(flat_out), stages(alone)
    flat_accepted = [s for s in flat_out if s.concern_id]
    informed_at = [
        informed.seen[s.concern_id] for s in flat_accepted if s.concern_id in informed.seen
    ]
    flat_informed_rate = (
        len(informed_at) / (max(informed_at) - flat_out_began) if informed_at else 0.0
    )
    statuses = Counter(s.status for s in steady + flat_out)
    baseline = round_trip["p99"] + insert_read["p99"]
    informed_p99 = steady_stages["person_informed_on_kafka"]["p99"]
    e2e_ratio = ratio(informed_p99, baseline)
    alone_p99 = alone_stages["person_informed_on_kafka"]["p99"]
    alone_ratio = alone_p99 / baseline if baseline else 0.0
    by_kind = commands_per_concern(commands_before, commands_after, len(accepted))
    per_concern = {service: sum(kinds.values()) for service, kinds in by_kind.items()}
    ms_per_command = milliseconds_per_command(
        (commands_before, commands_after), (seconds_before, seconds_after)
    )
    ms_by_kind = commands_per_concern(
        _in_milliseconds(seconds_before), _in_milliseconds(seconds_after), len(accepted)
    )
    figures: dict[str, object] = {
        "one_at_a_time": {"concerns": len(alone), "stages_s": alone_stages},
        "steady": {
            "rate_per_s": plan.steady_rate,
            "sent": len(steady),
            "accepted": sum(1 for s in steady if s.concern_id),
            "seconds": steady_took,
            "stages_s": steady_stages,
        },
        "flat_out": {
            "partners": plan.flat_out_partners,
            "sent": len(flat_out),
            "accepted": len(flat_accepted),
            "seconds": flat_out_took,
            "accepted_per_s": len(flat_accepted) / flat_out_took if flat_out_took else 0.0,
            "informed_per_s": flat_informed_rate,
            "stages_s": flat_stages,
        },
        "http_statuses": {str(k): v for k, v in statuses.items()},
        "arrived": {
            "accepted": len(accepted),
            "concern_raised": counts[0],
            "case_file": counts[1],
            "person_informed": counts[2],
            "within_s": plan.drain_seconds,
        },
        "case_file_measured_by": "MongoDB change stream on the outcomes case_files collection",
        "baseline_kafka_round_trip_s": round_trip,
        "baseline_mongo_insert_and_read_s": insert_read,
        "ratio_person_informed_p99_to_baseline": e2e_ratio,
        "ratio_one_at_a_time_person_informed_p99_to_baseline": alone_ratio,
        "database_commands_per_concern": per_concern,
        "database_commands_per_concern_by_kind": by_kind,
        "database_ms_per_command": ms_per_command,
        "database_ms_per_concern_by_kind": ms_by_kind,
        "database_commands_measured_by": "each service's database_commands_total from the "
        "steady load's start until the drain ended, divided by the concerns accepted (its "
        "background passes in that time included); by kind: command and collection; the "
        "milliseconds from its database_command_seconds_total over the same time",
        "safe_contact_request_s": percentiles(practitioner.asked),
        "safe_contact_requests_asked_again": practitioner.asked_again,
        "safe_contact_decisions_refused": practitioner.refused,
        "safe_contact_requests_broken": practitioner.transport_errors,
        "practitioner": "the benchmark records each concern's safe-contact decision (email to "
        "the person) as soon as notification has read the concern; (c) includes that wait: "
        "(c1) until notification has read the concern, (c2) until the decision is recorded",
    }
    missing = len(accepted) - min(counts)
    rows = []
    for label, stage in (
        ("(a) ConcernRaised on Kafka", "concern_raised_on_kafka"),
        ("(b) case file shows the case", "case_file_shows_case"),
        ("(c) PersonInformed on Kafka", "person_informed_on_kafka"),
        ("(c1) visible for the safe-contact decision", "visible_for_decision"),
        ("(c2) safe-contact decision after visible", "decided_after_visible"),
        ("(d) PersonInformed after the safe-contact decision", "person_informed_after_decision"),
    ):
        s = steady_stages[stage]
        is_c = stage == "person_informed_on_kafka"
        rows.append(
            Row(
                figure=f"E2E steady 20/s {label}",
                value=s["p99"],
                unit="s",
                shown=latencies(s),
                baseline=baseline if is_c else None,
                baseline_name="Kafka RT p99 + insert+read p99" if is_c else "",
                ratio=e2e_ratio if is_c else None,
                target="p99 ≤ 2 s, every one informed" if is_c else "",
                met=(informed_p99 <= 2.0 and not s.get("not_arrived", 0)) if is_c else None,
                note=(
                    f"one at a time, p99 {alone_p99 * 1000:.0f} ms = {alone_ratio:.1f}x the "
                    f"baseline; {missing} of {len(accepted)} concerns not seen at every stage "
                    f"within {plan.drain_seconds:.0f} s of the load ending"
                )
                if is_c
                else "",
            )
        )
    for load, by_stage in (("one at a time", alone_stages), ("flat out", flat_stages)):
        for label, stage in (
            ("(a) ConcernRaised", "concern_raised_on_kafka"),
            ("(b) case file", "case_file_shows_case"),
            ("(c) PersonInformed", "person_informed_on_kafka"),
            ("(c1) visible for the safe-contact decision", "visible_for_decision"),
            ("(c2) safe-contact decision after visible", "decided_after_visible"),
            (
                "(d) PersonInformed after the safe-contact decision",
                "person_informed_after_decision",
            ),
        ):
            s = by_stage[stage]
            alone_c = load == "one at a time" and stage == "person_informed_on_kafka"
            rows.append(
                Row(
                    figure=f"E2E {load} {label}",
                    value=s["p99"],
                    unit="s",
                    shown=latencies(s),
                    baseline=baseline if alone_c else None,
                    baseline_name="Kafka RT p99 + insert+read p99" if alone_c else "",
                    ratio=alone_ratio if alone_c else None,
                    target="p99 ≤ 8x" if alone_c else "",
                    met=at_most(8.0, alone_ratio) if alone_c else None,
                )
            )
    rows.append(
        Row(
            figure="E2E MongoDB commands per concern",
            value=sum(per_concern.values()),
            unit="",
            shown=" · ".join(f"{s} {n:.0f}" for s, n in per_concern.items()),
            note="what each concern costs the database, whatever the machine's load",
        )
    )
    rows.append(
        Row(
            figure="E2E MongoDB time per command (mean)",
            value=sum(ms_per_command.values()),
            unit="",
            shown=" · ".join(f"{s} {n:.1f} ms" for s, n in ms_per_command.items()),
            note="from sending each command until its answer, waiting in the server included; "
            f"a raw insert and read (two commands) took {insert_read['p50'] * 1000:.1f} ms at p50",
        )
    )
    accepted_rate = len(flat_accepted) / flat_out_took if flat_out_took else 0.0
    informed_share = ratio(flat_informed_rate, accepted_rate)
    rows.append(
        Row(
            figure="E2E flat out: concerns accepted / informed",
            value=accepted_rate,
            unit="/s",
            shown=f"{accepted_rate:.1f} / {flat_informed_rate:.1f} per s",
            ratio=informed_share,
            target="informed ÷ accepted ≥ 0.8",
            met=at_least(0.8, informed_share),
        )
    )
    return Outcome(figures, rows)


# ---------------------------------------------------------------- 2. Kafka intake burst


async def intake_burst(plan: Plan, kafka: str, run: str) -> Outcome:
    kinds: dict[str, str] = {}

    def submission_of(event_type: str, payload: Json) -> str | None:
        found = payload.get("partner_reference")
        if isinstance(found, str):
            kinds.setdefault(found, event_type)
            return found
        return None

    watch = TopicArrivals(
        kafka, INTAKE_EVENTS, {"ConcernRaised", "ConcernSubmissionRejected"}, submission_of
    )
    batch = f"{run}-kafka"
    count = plan.burst_submissions
    say(f"building {count} Kafka submissions")
    values = [kafka_submission(batch, i) for i in range(count)]
    references = [reference(batch, i) for i in range(count)]
    await watch.start()
    send = producer(kafka, client_id="bench-partners")
    await send.start()
    try:
        say(f"publishing {count} submissions to {CONCERN_SUBMISSIONS}")
        started = time.perf_counter()
        await publish_raw(send, CONCERN_SUBMISSIONS, values, kafka_headers)
        published = time.perf_counter() - started
        say(f"published in {published:.1f} s; waiting at most {plan.burst_bound_seconds:.0f} s")
        done = await watch.wait_for(references, started + plan.burst_bound_seconds)
    finally:
        await send.stop()
        await watch.stop()
    finished = [watch.seen[r] for r in references if r in watch.seen]
    complete = done == count
    took = (max(finished) if complete else time.perf_counter()) - started
    rate = done / took if took > 0 else 0.0
    figures: dict[str, object] = {
        "handled_per_30_s": _per_window(finished, started, 30.0),
        "submissions": count,
        "published_in_s": published,
        "publish_rate_per_s": count / published if published else 0.0,
        "handled": done,
        "raised": sum(1 for r in references if kinds.get(r) == "ConcernRaised"),
        "rejected": sum(1 for r in references if kinds.get(r) == "ConcernSubmissionRejected"),
        "seconds": took,
        "complete": complete,
        "rate_per_s": rate,
    }
    note = (
        ""
        if complete
        else f"stopped at the {plan.burst_bound_seconds:.0f} s bound: {done} of {count} "
        f"handled; the rate is from those"
    )
    row = Row(
        figure=f"Kafka burst: {count} submissions -> ConcernRaised",
        value=rate,
        unit="/s",
        note=note,
    )
    return Outcome(figures, [row])


def _per_window(times: Sequence[float], origin: float, width: float) -> list[int]:
    """How many happened in each window from `origin`: shows whether a rate holds up."""
    counts: list[int] = []
    for at in times:
        window = int((at - origin) // width)
        counts.extend([0] * (window + 1 - len(counts)))
        counts[window] += 1
    return counts


async def burst_baseline(kafka: str, client: Client, run: str, outcome: Outcome) -> None:
    count = outcome.figures["submissions"]
    assert isinstance(count, int)
    say(f"baseline: raw consumer reading {count} submissions")
    raw = await raw_consume_rate(kafka, CONCERN_SUBMISSIONS, count)
    say(f"baseline: durable intake (insert_many per batch, one transaction) of {count}")
    durable = await durable_intake_rate(
        kafka, client, CONCERN_SUBMISSIONS, count, f"bench_{run}_durable"
    )
    row = outcome.rows[0]
    share = ratio(row.value, raw)
    durable_share = ratio(row.value, durable)
    outcome.rows[0] = Row(
        **{
            **asdict(row),
            "baseline": raw,
            "baseline_name": "raw consume",
            "ratio": share,
        }
    )
    outcome.rows.insert(
        1,
        Row(
            figure="Kafka burst vs durable intake",
            value=row.value,
            unit="/s",
            shown=row.shown,
            baseline=durable,
            baseline_name="consume + insert_many per batch in a transaction",
            ratio=durable_share,
            target="≥ 25%",
            met=at_least(0.25, durable_share),
        ),
    )
    outcome.figures["baseline_raw_consume_per_s"] = raw
    outcome.figures["baseline_durable_intake_per_s"] = durable
    outcome.figures["ratio"] = share
    outcome.figures["ratio_to_durable_intake"] = durable_share


# ---------------------------------------------------------------- 3. projection rebuild


async def publish_case_histories(kafka: str, count: int, seed: int) -> tuple[list[bytes], int]:
    """Publish at least `count` events (whole cases) to the outcomes topic, key = case id, on
    the partition the services' own producers would choose for that key. Returns the values and
    how many distinct histories the Case aggregate decided."""
    templates = max(20, min(2000, count // 200))
    copies = CaseCopies(seed, templates)
    send = AIOKafkaProducer(
        **connection_options(kafka), acks="all", linger_ms=20, max_batch_size=512 * 1024
    )
    await send.start()
    values: list[bytes] = []
    try:
        partitions = sorted(await send.partitions_for(OUTCOMES_EVENTS))
        choose = DefaultPartitioner()
        batches = {p: send.create_batch() for p in partitions}
        for event in copies.events(count):
            partition = choose(event.key, partitions, partitions)
            batch = batches[partition]
            while (
                batch.append(
                    key=event.key, value=event.value, timestamp=None, headers=event.headers
                )
                is None
            ):
                await send.send_batch(batch, OUTCOMES_EVENTS, partition=partition)
                batch = batches[partition] = send.create_batch()
            values.append(event.value)
        for partition, batch in batches.items():
            if batch.record_count():
                await send.send_batch(batch, OUTCOMES_EVENTS, partition=partition)
        await send.flush()
    finally:
        await send.stop()
    return values, templates


def as_documents(values: Sequence[bytes], size: int = 2000) -> Iterator[list[Document]]:
    """The events as the documents an event store would hold (`_id` = event id)."""
    for i in range(0, len(values), size):
        documents = []
        for value in values[i : i + size]:
            document: Document = json.loads(value)
            document["_id"] = document["event_id"]
            documents.append(document)
        yield documents


async def start_at_end(kafka: str, stack: Stack) -> None:
    """Commit the end of every topic for the new outcomes service's consumer groups."""
    prefix = stack.extra_env["CONSUMER_GROUP_PREFIX"]
    database = f"{stack.database_prefix}outcomes"
    for handler in OUTCOMES_CONSUMERS:
        consumer = AIOKafkaConsumer(
            **connection_options(kafka),
            group_id=f"{prefix}.{database}.{handler.name}",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            cluster = await consumer._client.fetch_all_metadata()
            partitions = [
                TopicPartition(topic, p)
                for topic in handler.topics
                for p in sorted(cluster.partitions_for_topic(topic) or ())
            ]
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await consumer.commit({tp: ends[tp] for tp in partitions})
        finally:
            await consumer.stop()


_HANDLED = re.compile(r'^consumer_events_handled_total\{group="([^"]+)"\} ([0-9.e+]+)$', re.M)


COMMANDS = "database_commands_total"
COMMAND_SECONDS = "database_command_seconds_total"
_LABEL = re.compile(r'(\w+)="([^"]*)"')

Commands = dict[str, dict[str, float]]
"""Per service: its MongoDB commands so far, by "command collection" (a transaction's commit has
no collection)."""


async def database_commands(stack: Stack, metric: str = COMMANDS) -> Commands:
    """Each service's MongoDB commands so far (its `database_commands_total`, or the seconds
    they took: `database_command_seconds_total`), by kind."""
    async with httpx.AsyncClient(timeout=30) as http:
        return {
            service: await commands_of(http, f"{stack.endpoints.url(service)}/metrics", metric)
            for service in SERVICES
        }


async def commands_of(
    http: httpx.AsyncClient, metrics: str, metric: str = COMMANDS
) -> dict[str, float]:
    """One service's MongoDB commands (or their seconds) so far, by "command collection"."""
    response = await http.get(metrics)
    return commands_in(response.text, metric)


def commands_in(exposition: str, metric: str = COMMANDS) -> dict[str, float]:
    """The MongoDB commands counted in a service's metrics (or the seconds they took), by
    "command collection"."""
    totals: dict[str, float] = {}
    samples = re.compile(rf"^{metric}\{{([^}}]*)\}} ([0-9.e+-]+)$", re.M)
    for labels, value in samples.findall(exposition):
        named = dict(_LABEL.findall(labels))
        kind = f"{named.get('command', '')} {named.get('collection', '')}".strip()
        totals[kind] = totals.get(kind, 0.0) + float(value)
    return totals


def commands_spent(
    before: dict[str, float], after: dict[str, float], per: float
) -> dict[str, float]:
    """The commands between `before` and `after`, divided by `per`, by kind, most first."""
    spent = {kind: count - before.get(kind, 0.0) for kind, count in after.items()}
    return {
        kind: round(count / max(1.0, per), 2)
        for kind, count in sorted(spent.items(), key=lambda item: -item[1])
        if count > 0
    }


def _in_milliseconds(seconds: Commands) -> Commands:
    return {
        service: {kind: 1000 * value for kind, value in kinds.items()}
        for service, kinds in seconds.items()
    }


def milliseconds_per_command(
    counted: tuple[Commands, Commands], seconds: tuple[Commands, Commands]
) -> dict[str, float]:
    """Each service's mean time per MongoDB command between two readings, in milliseconds:
    what a command took from sending until its answer, waiting included."""
    spent: dict[str, float] = {}
    for service in SERVICES:
        commands = sum(counted[1][service].values()) - sum(counted[0][service].values())
        took = sum(seconds[1][service].values()) - sum(seconds[0][service].values())
        spent[service] = round(1000 * took / commands, 2) if commands > 0 else 0.0
    return spent


def commands_per_concern(before: Commands, after: Commands, concerns: int) -> Commands:
    """Each service's commands between `before` and `after` per concern, by kind, most first."""
    return {
        service: commands_spent(before[service], after[service], concerns) for service in SERVICES
    }


async def handled(http: httpx.AsyncClient, group: str) -> float:
    response = await http.get("/metrics")
    for name, value in _HANDLED.findall(response.text):
        if name == group:
            return float(value)
    return 0.0


async def rebuild_one(
    http: httpx.AsyncClient, name: str, group: str, token: str, bound: float
) -> dict[str, object]:
    before = await handled(http, group)
    commands_before = await commands_of(http, "/metrics")
    started = time.perf_counter()
    call = asyncio.create_task(
        http.post(
            f"/admin/projections/{name}/rebuild",
            headers={"Authorization": f"Bearer {token}"},
            timeout=None,
        )
    )
    done, _ = await asyncio.wait({call}, timeout=bound)
    took = time.perf_counter() - started
    if call in done:
        response = call.result()
        response.raise_for_status()
        replayed = int(response.json()["replayed_messages"])
        commands = await commands_of(http, "/metrics")
        return {
            "replayed": replayed,
            "seconds": took,
            "rate_per_s": replayed / took,
            "complete": True,
            "database_commands_per_1000_events": commands_spent(
                commands_before, commands, replayed / 1000
            ),
        }
    progress = await handled(http, group) - before
    call.cancel()
    with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
        await call
    return {
        "replayed": progress,
        "seconds": took,
        "rate_per_s": progress / took,
        "complete": False,
    }


async def projection_rebuild(
    plan: Plan, servers: Servers, run: str, sampler: MemorySampler
) -> Outcome:
    say(f"generating and publishing {plan.rebuild_events} case events (real Case aggregate)")
    began = time.perf_counter()
    values, templates = await publish_case_histories(servers.kafka, plan.rebuild_events, seed=2026)
    took = time.perf_counter() - began
    figures: dict[str, object] = {
        "events_published": len(values),
        "distinct_histories_decided_by_the_case_aggregate": templates,
        "generate_and_publish_s": took,
        "mean_event_bytes": sum(map(len, values)) / len(values),
    }
    say(f"published {len(values)} events in {took:.0f} s; baseline: raw insert_many")
    # A new connection: the run's own may have sat idle through the burst.
    fresh = connect(servers.mongodb_uri)
    try:
        insert_rate, inserted = await insert_many_rate_of(
            fresh, as_documents(values), within=plan.insert_bound_seconds
        )
    finally:
        await fresh.close()
    figures["baseline_insert_many_per_s"] = insert_rate
    figures["baseline_documents_inserted"] = inserted
    del values
    stack = new_stack(servers, ["outcomes"], run, "rebuild")
    await start_at_end(servers.kafka, stack)
    rows: list[Row] = []
    results: dict[str, dict[str, object]] = {}
    try:
        start(stack, sampler)
        # A manager signs in at the identity provider; the token is renewed before it expires.
        manager = StaffSignIn(servers.sign_in)
        async with httpx.AsyncClient(base_url=stack.endpoints.url("outcomes"), timeout=60) as http:
            listed = await http.get(
                "/admin/projections", headers=await manager.headers(TestUser.MANAGER)
            )
            listed.raise_for_status()
            names: list[str] = listed.json()
            prefix = stack.extra_env["CONSUMER_GROUP_PREFIX"]
            for name in names:
                group = f"{prefix}.{stack.database_prefix}outcomes.{name}"
                say(f"rebuilding {name} (at most {plan.rebuild_bound_seconds:.0f} s)")
                token = await manager.token(TestUser.MANAGER)
                result = await rebuild_one(http, name, group, token, plan.rebuild_bound_seconds)
                results[name] = result
                say(f"{name}: {result['replayed']:.0f} events in {result['seconds']:.1f} s")
                if not result["complete"]:
                    # The replay cannot be called off through the API: start the service again.
                    stack.stop()
                    start(stack, sampler)
                rate = float(result["rate_per_s"])  # type: ignore[arg-type]
                share = ratio(rate, insert_rate)
                rows.append(
                    Row(
                        figure=f"Rebuild {name}",
                        value=rate,
                        unit="events/s",
                        baseline=insert_rate,
                        baseline_name="raw insert_many",
                        ratio=share,
                        target="≥ 1.0x",
                        met=at_least(1.0, share),
                        note=""
                        if result["complete"]
                        else f"stopped at the {plan.rebuild_bound_seconds:.0f} s bound after "
                        f"{result['replayed']:.0f} events; the rate is from those",
                    )
                )
    finally:
        stack.stop()
    figures["rebuilds"] = results
    return Outcome(figures, rows)


# ---------------------------------------------------------------- the run


async def bench(
    plan: Plan, servers: Servers, sampler: MemorySampler, phases: Sequence[str] = PHASES
) -> dict[str, object]:
    run = uuid.uuid4().hex[:6]
    result: dict[str, object] = {}
    rows: list[Row] = []
    errors: dict[str, str] = {}
    client = connect(servers.mongodb_uri)
    stack = new_stack(servers, SERVICES, run, "system")

    async def attempt(phase: str, work: Awaitable[T]) -> T | None:
        """A phase that fails is reported and the others still run."""
        try:
            return await work
        except Exception as error:
            traceback.print_exc()
            errors[phase] = repr(error)
            return None

    try:
        say("starting intake, outcomes and notification")
        start(stack, sampler)
        e2e = burst = rebuilt = None
        if "end_to_end" in phases:
            sampler.enter("end_to_end")
            e2e = await attempt("end_to_end", end_to_end(plan, stack, client, run, servers.sign_in))
        if gone := stopped(stack):
            # Something outside this run stopped a service: what follows would measure nothing.
            errors["services"] = "; ".join(gone)
            say(f"a service stopped during the run: {errors['services']}")
        elif "intake_burst" in phases:
            sampler.enter("intake_burst")
            burst = await attempt("intake_burst", intake_burst(plan, servers.kafka, run))
            if gone := stopped(stack):
                errors["services"] = "; ".join(gone)
        sampler.enter("stopping")
        stack.stop()
        if burst is not None:
            await attempt("intake_burst", burst_baseline(servers.kafka, client, run, burst))
        if "projection_rebuild" in phases:
            sampler.enter("projection_rebuild")
            rebuilt = await attempt(
                "projection_rebuild", projection_rebuild(plan, servers, run, sampler)
            )
        for name, outcome in (
            ("end_to_end", e2e),
            ("intake_burst", burst),
            ("projection_rebuild", rebuilt),
        ):
            if outcome is not None:
                result[name] = outcome.figures
                rows.extend(outcome.rows)
    finally:
        stack.stop()
        await client.close()
    sampler.enter("done")
    for service, peak in sorted(sampler.peaks().items()):
        ours = service in {"intake", "outcomes", "notification"}
        rows.append(
            Row(
                figure=f"Peak RSS {service}",
                value=peak,
                unit="MiB",
                target="≤ 150 MiB" if ours else "",
                met=at_most(150.0, peak) if ours else None,
            )
        )
    result["errors"] = errors
    result["rows"] = rows
    return result


def main() -> None:
    scale = float(os.environ.get("BENCH_SCALE", "1.0"))
    plan = Plan.scaled(scale)
    phases = [p.strip() for p in os.environ.get("BENCH_PHASES", ",".join(PHASES)).split(",")]
    if unknown := set(phases) - set(PHASES):
        raise SystemExit(f"unknown BENCH_PHASES {sorted(unknown)}: choose from {', '.join(PHASES)}")
    started = datetime.now(UTC)
    facts = machine()
    say(f"scale {scale}; {facts['cpu_count']} CPUs, {facts['memory_gib']} GiB; plan {asdict(plan)}")
    sampler = MemorySampler()
    sampler.start()
    began = time.perf_counter()
    try:
        with servers() as found:
            if found.layout is not None:
                for name, label in (("kafka", "Kafka broker"), ("mongo", "MongoDB-wire server")):
                    pid = running_pid(found.layout.pidfile(name))
                    if pid is not None:
                        sampler.watch(label, pid)
            result = asyncio.run(bench(plan, found, sampler, phases))
            sampler.stop()
            # Written before the servers stop, so that a slow shutdown cannot lose the figures.
            errors = report(plan, started, facts, began, found, result, sampler, phases)
    finally:
        sampler.stop()
    if errors:
        print(f"phases that failed: {', '.join(errors)}")
        raise SystemExit(1)


def report(
    plan: Plan,
    started: datetime,
    facts: dict[str, object],
    began: float,
    found: Servers,
    result: dict[str, object],
    sampler: MemorySampler,
    phases: Sequence[str],
) -> list[str]:
    rows = result.pop("rows")
    assert isinstance(rows, list)
    errors = result["errors"]
    assert isinstance(errors, dict)
    document = {
        "started_at": started.isoformat(),
        "seconds": time.perf_counter() - began,
        "scale": plan.scale,
        "command": f"BENCH_SCALE={plan.scale} make bench",
        "revision": revision(),
        "phases": list(phases),
        "machine": {**facts, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "servers_started_by_bench": found.layout is not None,
        "plan": asdict(plan),
        **result,
        "processes": {
            phase: {name: asdict(used) for name, used in usage.items()}
            for phase, usage in sampler.usage.items()
        },
    }
    path = write(started, document, rows)
    print()
    print(
        f"Benchmark at scale {plan.scale} ({started:%Y-%m-%d %H:%M} UTC, "
        f"{facts['cpu_count']} CPUs, {time.perf_counter() - began:.0f} s):"
    )
    reference = reference_figures()
    print(table(rows, reference if reference else None))
    if reference:
        print(f"\nreference: {REFERENCE.relative_to(ROOT)} (the newest full run kept)")
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return list(errors)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    # Stopped with SIGTERM (a CI timeout, `kill`), it still stops everything it started.
    signal.signal(signal.SIGTERM, _interrupt)
    main()
