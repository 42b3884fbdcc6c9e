"""Structured JSON logs carrying the correlation id, so one concern can be followed across all
three services with one grep (`grep <correlation id> .local/run/*.log`).

**No personal data in logs.** An exception's text quotes whatever it was given (a pydantic
ValidationError quotes the input: "Her son Daniel Hill has ..."; a mail server's refusal quotes the
address), so a log line never carries one: wherever an exception reaches the formatter (logged
with `exc_info`, passed as an argument of the message, or as an `extra` value) it is written as its
kind (`kind_of_failure`) and a traceback of file, line and function only. Pass the exception
itself (`extra={"error": error}`), never its text (`repr(error)`), and log ids and counts, never
values people gave. This formatter is the one home of that rule.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime

from pydantic import ValidationError

from shared.limits import MAX_LISTED_PROBLEMS

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def kind_of_failure(error: BaseException | None) -> str:
    """What went wrong, for a log line, a dead letter or a work item: the kind of error, and for
    a validation error the fields and what kind of problem each had, never the values (they may
    be anyone's personal data, and exception texts quote them)."""
    if isinstance(error, ValidationError):
        fields = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or '(root)'}: {item['type']}"
            for item in error.errors(include_url=False)[:MAX_LISTED_PROBLEMS]
        )
        return f"ValidationError of {error.title} ({fields})"
    return type(error).__name__


def where_it_failed(error: BaseException) -> list[str]:
    """The traceback of `error` and the errors it came from: kinds and code positions only."""
    lines: list[str] = []
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        lines.append(kind_of_failure(current))
        lines.extend(f"  {f.filename}:{f.lineno} in {f.name}" for f in frames)
        current = current.__cause__ or current.__context__
    return lines


def _redacted(value: object) -> object:
    return kind_of_failure(value) if isinstance(value, BaseException) else value


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": self._message(record),
        }
        current = correlation_id.get()
        if current:
            entry["correlation_id"] = current
        entry.update({k: _redacted(v) for k, v in record.__dict__.items() if k not in _RESERVED})
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = kind_of_failure(record.exc_info[1])
            entry["traceback"] = where_it_failed(record.exc_info[1])
        return json.dumps(entry, default=str, ensure_ascii=False)

    @staticmethod
    def _message(record: logging.LogRecord) -> str:
        if isinstance(record.args, tuple) and record.args:
            record = logging.makeLogRecord(
                {**record.__dict__, "args": tuple(_redacted(a) for a in record.args)}
            )
        elif isinstance(record.args, dict):
            record = logging.makeLogRecord(
                {**record.__dict__, "args": {k: _redacted(v) for k, v in record.args.items()}}
            )
        return record.getMessage()


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "pymongo", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
