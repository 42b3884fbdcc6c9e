"""The case index saves a batch's facts (`CaseIndex.save_all`), on the real server: the cases
and concerns read as not on record are inserted, the others replaced (or inserted when missing
after all), each kind of write in one command however they alternate."""

from __future__ import annotations

import uuid

from services.notification.domain.steps import CaseFacts, ConcernFacts
from services.notification.read_models.case_index import CaseIndex
from shared.mongo import connect, create_collections, in_transaction
from tests.support.metrics import commands_counted


async def test_new_and_known_cases_are_saved_with_one_command_each(mongodb_uri: str) -> None:
    client = connect(mongodb_uri, counted=True)
    database = client[f"case_index_{uuid.uuid4().hex[:8]}"]
    # Collections of this test's own: the command counter is by collection name, process-wide.
    cases = f"cases_{uuid.uuid4().hex[:8]}"
    await create_collections(database, [cases, "concerns", "people"])
    index = CaseIndex(database)
    index.cases = database[cases]
    person = f"person-{uuid.uuid4()}"
    ids = sorted(f"case-{uuid.uuid4()}" for _ in range(5))
    known, new, missing_after_all = ids[0::2], ids[1::2][:1], ids[1::2][1:]
    try:
        await in_transaction(
            client,
            lambda s: index.save_all(
                [CaseFacts(case_id=i, person_id=person, team="before") for i in known],
                [],
                {},
                s,
            ),
        )
        inserts, updates = commands_counted("insert", cases), commands_counted("update", cases)

        await in_transaction(
            client,
            lambda s: index.save_all(
                [CaseFacts(case_id=i, person_id=person, team="after") for i in ids],
                [ConcernFacts(concern_id=f"concern-{uuid.uuid4()}", person_id=person)],
                {},
                s,
                new=new,
            ),
        )

        assert commands_counted("insert", cases) - inserts == 1
        assert commands_counted("update", cases) - updates == 1
        teams = {d["_id"]: d["team"] async for d in index.cases.find({})}
        assert teams == dict.fromkeys(ids, "after")
        assert set(missing_after_all) <= set(teams)
        assert await database["concerns"].count_documents({"person_id": person}) == 1
    finally:
        await client.drop_database(database.name)
        await client.close()
