"""MongoDB access through PyMongo's async API, and which failures are worth waiting out."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient, InsertOne, ReplaceOne, monitoring
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    AutoReconnect,
    CollectionInvalid,
    ConnectionFailure,
    NetworkTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
    WaitQueueTimeoutError,
)

from shared.metrics import DATABASE_COMMAND_SECONDS, DATABASE_COMMANDS

Document = dict[str, Any]
Client = AsyncMongoClient[Document]
Database = AsyncDatabase[Document]
Collection = AsyncCollection[Document]
Session = AsyncClientSession
T = TypeVar("T")

DUPLICATE_KEY = 11000
"""The server's error code for a write that would duplicate a unique key."""
INDEX_NOT_FOUND = 27
"""The server's error code for dropping an index that is not there."""


_sessions: dict[int, set[bytes]] = {}
"""Per client (by identity: clients of one server compare equal), the sessions it ran
transactions in."""
_on_new_session: dict[int, Callable[[], Awaitable[None]]] = {}


def sessions_used(client: Client) -> set[bytes]:
    """The ids of the database sessions this client has run transactions in (so that, should
    this process die mid-transaction, another can abort them: `shared.instances`)."""
    return set(_sessions.get(id(client), ()))


def on_new_session(client: Client, record: Callable[[], Awaitable[None]]) -> None:
    """Have `record` run (and finish) before a transaction starts in a session this client has
    not used before, so a session is on record before anything can be left open in it."""
    _on_new_session[id(client)] = record
    weakref.finalize(client, _on_new_session.pop, id(client), None)


async def _note_session(client: Client, session: Session) -> None:
    key = id(client)
    if key not in _sessions:
        _sessions[key] = set()
        weakref.finalize(client, _sessions.pop, key, None)
    lsid = bytes(session.session_id["id"])
    if lsid not in _sessions[key]:
        _sessions[key].add(lsid)
        record = _on_new_session.get(key)
        if record is not None:
            await record()


class ServiceDatabase(AsyncDatabase[Document]):
    """A service's database, which remembers every collection the service's parts name, so
    that `create_collections` can make them all before the service's first transaction.

    A collection first made inside a transaction belongs to that transaction until it ends; one
    left open by a process that died keeps it, and an index build on it then waits with the
    server's catalogue held (seen on SecantusDB: every later index build and new collection
    waits too). A collection that already exists is never at stake."""

    def __init__(self, client: Client, name: str) -> None:
        super().__init__(client, name)
        self.named: set[str] = set()

    def __getitem__(self, name: str) -> Collection:
        self.named.add(name)
        return super().__getitem__(name)


async def create_collections(database: Database, names: Iterable[str]) -> None:
    """Create each collection in `names` that does not exist yet (outside any transaction)."""
    existing = set(await database.list_collection_names())
    for name in sorted(set(names) - existing):
        with contextlib.suppress(CollectionInvalid):  # another instance made it first
            await database.create_collection(name)


async def drop_replaced_indexes(collection: Collection, replaced: Iterable[str]) -> None:
    """Drop each index named in `replaced` that `collection` still has: indexes a newer one
    took the place of. Idempotent, also when several instances start at once."""
    existing = await collection.index_information()
    for name in replaced:
        if name in existing:
            try:
                await collection.drop_index(name)
            except OperationFailure as error:
                # Another instance starting at the same time dropped it first.
                if error.code != INDEX_NOT_FOUND:
                    raise


def connect(uri: str, *, timeout_ms: int = 5000, counted: bool = False) -> Client:
    """A client of `uri`; a `counted` one adds every command it sends to
    `database_commands_total` (a service's own client: the figure says what its work costs)."""
    return AsyncMongoClient(
        uri,
        serverSelectionTimeoutMS=timeout_ms,
        tz_aware=True,
        uuidRepresentation="standard",
        event_listeners=[CommandCounter()] if counted else [],
    )


class CommandCounter(monitoring.CommandListener):
    """Counts commands, and the time each took until its answer, by name and collection; never
    by anything they carry."""

    def __init__(self) -> None:
        self._collections: dict[tuple[object, int], str] = {}
        """The collection of each command under way, by connection and request."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        collection = target if isinstance(target, str) else ""
        DATABASE_COMMANDS.labels(event.command_name, collection).inc()
        self._collections[(event.connection_id, event.request_id)] = collection

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._answered(event)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._answered(event)

    def _answered(
        self, event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent
    ) -> None:
        collection = self._collections.pop((event.connection_id, event.request_id), "")
        DATABASE_COMMAND_SECONDS.labels(event.command_name, collection).inc(
            event.duration_micros / 1_000_000
        )


def whole_document_write(
    document: Document, *, stored: bool
) -> InsertOne[Document] | ReplaceOne[Document]:
    """The write that puts `document` (with its `_id`) in place of what this transaction read:
    an insert when it read none, a replacement otherwise.

    An insert, not an upsert, for a new document: the same document either way, at about half
    the server's work (the MongoDB-wire test server: 0.19 against 0.38 ms a document,
    `python -m bench.server_limits`). A concurrent writer's document meets it with a
    WriteConflict, a transient error, as it would meet an upsert."""
    if stored:
        return ReplaceOne({"_id": document["_id"]}, document)
    return InsertOne(document)


class TransactionTooLong(Exception):
    """A transaction ran past its time limit and was aborted: the same work in smaller pieces
    may fit. MongoDB aborts transactions older than 60 s (`transactionLifetimeLimitSeconds`)."""


def is_transient(error: BaseException) -> bool:
    """True for failures that go away by themselves (the server is restarting, unreachable,
    or a transaction met a conflict or ran too long): retry these (a consumer retrying a batch
    halves it when the failure repeats); never dead-letter a message because of them."""
    if isinstance(error, TransactionTooLong):
        return True
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
    # 290: TransactionExceededLifetimeLimitSeconds; 251: NoSuchTransaction (e.g. aborted by it).
    return isinstance(error, OperationFailure) and error.code in {
        112,
        251,
        290,
        11600,
        11602,
        91,
    }


_after_commit: weakref.WeakKeyDictionary[Session, list[Callable[[], None]]] = (
    weakref.WeakKeyDictionary()
)


def after_commit(session: Session | None, action: Callable[[], None]) -> None:
    """Run `action` once what was written in `session` is committed: when its transaction
    (begun by `in_transaction`) commits, never if it aborts; at once outside a transaction."""
    if session is None or not session.in_transaction:
        action()
        return
    _after_commit.setdefault(session, []).append(action)


async def in_transaction(
    client: Client,
    work: Callable[[Session], Awaitable[T]],
    *,
    attempts: int = 3,
    time_limit: float | None = None,
) -> T:
    """Run `work` in one multi-document transaction. A write conflict with a concurrent
    transaction is retried a few times; anything else (including the server being unreachable)
    is raised at once, so consumers can back off and HTTP callers get a prompt answer, rather
    than waiting inside the driver's two-minute `with_transaction` loop.

    With `time_limit` (seconds), work still running then is abandoned, the transaction aborted,
    and TransactionTooLong raised: well before the server's own limit aborts it, and without
    depending on the server enforcing one."""
    for attempt in range(1, attempts + 1):
        try:
            async with client.start_session() as session:
                await _note_session(client, session)
                try:
                    async with await session.start_transaction():
                        if time_limit is None:
                            result = await work(session)
                        else:
                            limit = asyncio.timeout(time_limit)
                            try:
                                async with limit:
                                    result = await work(session)
                            except TimeoutError as error:
                                if limit.expired():
                                    raise TransactionTooLong(
                                        f"the transaction ran longer than {time_limit:g} s"
                                    ) from error
                                raise
                except BaseException:
                    _after_commit.pop(session, None)
                    raise
                for action in _after_commit.pop(session, ()):
                    action()
                return result
        except PyMongoError as error:
            conflict = error.has_error_label("TransientTransactionError") and not isinstance(
                error, ConnectionFailure
            )
            if not conflict or attempt == attempts:
                raise
    raise AssertionError("unreachable")
