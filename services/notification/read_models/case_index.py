"""Which person each case and concern is about, with the facts messages need (reference, lead
worker, advocate, agreed dates), and each person's name as the concern gave it.

Written by the informing reaction in the same transaction as its decisions; each document
remembers the version of its source stream it last applied, so a redelivered older event
cannot roll a fact back.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from typing import Final

from pydantic import BaseModel
from pymongo import ASCENDING, InsertOne, ReplaceOne, UpdateOne

from services.notification.domain.steps import CaseFacts, ConcernFacts
from services.notification.read_models.deliveries import Deliveries
from shared.mongo import Collection, Database, Document, Session
from shared.personal_data import ERASED

IN_LIST: Final = 100
"""Ids per `$in` look-up: the test server's cost grows with the square of a list's length."""

CaseOrConcern = tuple[str | None, str | None]
"""A piece of work's case id and concern id (either may be unknown)."""


class PersonOfCase(BaseModel):
    """Whose case this is, for finding their communications log."""

    person_id: str
    case_id: str | None
    concern_id: str | None
    reference: str | None


class CaseIndex:
    def __init__(self, database: Database) -> None:
        self.cases = database["cases"]
        self.concerns = database["concerns"]
        self.people = database["people"]

    async def ensure_indexes(self) -> None:
        # A person's cases are read by person (her communications log), and on her erasure
        # her cases and concerns are changed by person.
        await self.cases.create_index([("person_id", ASCENDING)])
        await self.concerns.create_index([("person_id", ASCENDING)])

    async def case(self, case_id: str, session: Session | None = None) -> CaseFacts | None:
        document = await self.cases.find_one({"_id": case_id}, session=session)
        return CaseFacts.model_validate(_fields(document)) if document else None

    async def concern(self, concern_id: str, session: Session | None = None) -> ConcernFacts | None:
        document = await self.concerns.find_one({"_id": concern_id}, session=session)
        return ConcernFacts.model_validate(_fields(document)) if document else None

    async def cases_among(self, case_ids: Iterable[str], session: Session) -> dict[str, CaseFacts]:
        """The facts of each of these cases on record, in one look-up."""
        return {
            document["_id"]: CaseFacts.model_validate(_fields(document))
            async for document in self.cases.find(
                {"_id": {"$in": sorted(set(case_ids))}}, session=session
            )
        }

    async def concerns_among(
        self, concern_ids: Iterable[str], session: Session | None = None
    ) -> dict[str, ConcernFacts]:
        """The facts of each of these concerns on record, in one look-up."""
        return {
            document["_id"]: ConcernFacts.model_validate(_fields(document))
            async for document in self.concerns.find(
                {"_id": {"$in": sorted(set(concern_ids))}}, session=session
            )
        }

    async def allocated_teams(
        self, work: Iterable[CaseOrConcern]
    ) -> dict[CaseOrConcern, str | None]:
        """The team each piece of work is allocated to: its case's, or that of the case its
        concern opened or joined as a repeat; None while nobody allocated it (or no case is
        open yet)."""
        work = set(work)
        concerns = {c for case, c in work if case is None and c is not None}
        concern_docs = await self._find(self.concerns, concerns, {"case_id": 1, "repeat_of": 1})
        repeated = {d["repeat_of"] for d in concern_docs.values() if d.get("repeat_of")}
        repeated_docs = await self._find(self.concerns, repeated - concerns, {"case_id": 1})
        known = {**repeated_docs, **concern_docs}

        def case_of(case_id: str | None, concern_id: str | None) -> str | None:
            if case_id is not None:
                return case_id
            concern = known.get(concern_id or "", {})
            original = known.get(concern.get("repeat_of") or "", {})
            return concern.get("case_id") or original.get("case_id")

        cases = {case_of(*each) for each in work} - {None}
        teams = await self._find(self.cases, {c for c in cases if c}, {"team": 1})
        return {each: teams.get(case_of(*each) or "", {}).get("team") for each in work}

    @staticmethod
    async def _find(
        collection: Collection, ids: Iterable[str], fields: Document
    ) -> dict[str, Document]:
        wanted = sorted(set(ids))
        found: dict[str, Document] = {}
        for start in range(0, len(wanted), IN_LIST):
            part = wanted[start : start + IN_LIST]
            async for document in collection.find({"_id": {"$in": part}}, fields):
                found[document["_id"]] = document
        return found

    async def save_all(
        self,
        cases: Iterable[CaseFacts],
        concerns: Iterable[ConcernFacts],
        names: Mapping[str, str],
        session: Session,
        *,
        new: Container[str] = frozenset(),
    ) -> None:
        """Save these cases' and concerns' facts and these people's names (as the concern gave
        them), with one bulk write per collection: a consumer batch's facts. The cases and
        concerns whose ids are in `new`, read as not on record in this transaction, are
        inserted (about half the server's work of an upsert: `whole_document_write`); the
        others are replaced, or inserted if they are missing after all."""
        case_writes = [_save(_document(f, f.case_id), new) for f in cases]
        concern_writes = [_save(_document(f, f.concern_id), new) for f in concerns]
        name_writes = [
            UpdateOne({"_id": person_id}, {"$set": {"name": name}}, upsert=True)
            for person_id, name in names.items()
        ]
        # Each document once, so in any order: unordered, the inserts go in one command and
        # the replacements in another, however the two alternate.
        if case_writes:
            await self.cases.bulk_write(case_writes, ordered=False, session=session)
        if concern_writes:
            await self.concerns.bulk_write(concern_writes, ordered=False, session=session)
        if name_writes:
            await self.people.bulk_write(name_writes, session=session)

    async def erase_person(self, person_id: str, session: Session) -> None:
        """The person was erased: her name, the contact needs her concerns gave and the people
        around her case (her advocate, why telling her was unsafe) are kept no more."""
        await self.people.update_many(
            {"_id": person_id}, {"$set": {"name": ERASED}}, session=session
        )
        await self.concerns.update_many(
            {"person_id": person_id}, {"$set": {"needs": None}}, session=session
        )
        await self.cases.update_many(
            {"person_id": person_id},
            {
                "$set": {
                    "advocate_name": None,
                    "advocate_organisation": None,
                    "untold_overrides": {},
                }
            },
            session=session,
        )

    async def person_name(self, person_id: str, session: Session | None = None) -> str | None:
        document = await self.people.find_one({"_id": person_id}, session=session)
        return str(document["name"]) if document else None

    async def capacity_lacking_for(self, person_id: str, session: Session) -> frozenset[str]:
        """The capacity assessments in this person's cases that found they lack capacity."""
        cursor = self.cases.find({"person_id": person_id}, session=session)
        found = {
            str(assessment)
            async for document in cursor
            for assessment in document.get("lacking_capacity", [])
        }
        return frozenset(found)

    async def person_of_case(self, case_id: str) -> PersonOfCase | None:
        facts = await self.case(case_id)
        if facts is None:
            return None
        return PersonOfCase(
            person_id=facts.person_id,
            case_id=facts.case_id,
            concern_id=facts.concern_id,
            reference=facts.reference,
        )

    async def person_of_concern(self, concern_id: str) -> PersonOfCase | None:
        facts = await self.concern(concern_id)
        if facts is None:
            return None
        return PersonOfCase(
            person_id=facts.person_id,
            case_id=facts.case_id,
            concern_id=facts.concern_id,
            reference=facts.reference,
        )


def _document(facts: CaseFacts | ConcernFacts, key: str) -> Document:
    document: Document = facts.model_dump(mode="json")
    document["_id"] = key
    return document


def _save(document: Document, new: Container[str]) -> InsertOne[Document] | ReplaceOne[Document]:
    if document["_id"] in new:
        return InsertOne(document)
    return ReplaceOne({"_id": document["_id"]}, document, upsert=True)


def _fields(document: Document) -> Document:
    return {k: v for k, v in document.items() if k != "_id"}


async def person_of_subject(
    index: CaseIndex, deliveries: Deliveries, kind: str, subject_id: str
) -> str | None:
    """Whom a person's record, a case, a concern or a letter is about, for the audit of access."""
    if kind in ("person", "communications log"):
        return subject_id
    if kind == "letter":
        # A letter's reference is its delivery's.
        delivery = await deliveries.get(subject_id)
        return delivery.person_id if delivery else None
    found = await (index.person_of_concern if kind == "concern" else index.person_of_case)(
        subject_id
    )
    return found.person_id if found else None
