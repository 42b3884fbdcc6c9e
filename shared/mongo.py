"""MongoDB access through PyMongo's async API, and which failures are worth waiting out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    NetworkTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
    WaitQueueTimeoutError,
)

Document = dict[str, Any]
Client = AsyncMongoClient[Document]
Database = AsyncDatabase[Document]
Collection = AsyncCollection[Document]
Session = AsyncClientSession
T = TypeVar("T")


def connect(uri: str, *, timeout_ms: int = 5000) -> Client:
    return AsyncMongoClient(
        uri, serverSelectionTimeoutMS=timeout_ms, tz_aware=True, uuidRepresentation="standard"
    )


def is_transient(error: BaseException) -> bool:
    """True for failures that go away by themselves (the server is restarting, unreachable,
    or a transaction met a conflict): retry these; never dead-letter a message because of them."""
    if isinstance(
        error,
        AutoReconnect
        | ConnectionFailure
        | NetworkTimeout
        | ServerSelectionTimeoutError
        | WaitQueueTimeoutError,
    ):
        return True
    if isinstance(error, PyMongoError) and (
        error.has_error_label("TransientTransactionError")
        or error.has_error_label("UnknownTransactionCommitResult")
    ):
        return True
    return isinstance(error, OperationFailure) and error.code in {112, 251, 11600, 11602, 91}


async def in_transaction(client: Client, work: Callable[[Session], Awaitable[T]]) -> T:
    """Run `work` in one multi-document transaction (retried by the driver on transient
    transaction errors, so `work` must only write through the session)."""
    async with client.start_session() as session:
        return await session.with_transaction(work)
