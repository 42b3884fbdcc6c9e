"""Finding a person for council staff: by name, date of birth, partial postcode, NHS number or a
concern's reference, and every concern raised about one person.

One document per concern with the identifying details it gave, kept on the person it is linked
to now (a relink or unlink moves it). Read-only: the practitioner web app's search and person page
read it; nothing is decided from it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Final

from pydantic import AwareDatetime, BaseModel, Field
from pymongo import ASCENDING, DESCENDING

from services.intake.domain.matching import normalised_name, normalised_postcode
from services.intake.read_models.per_concern import change_each_concern
from shared.events import Envelope
from shared.events.intake import (
    ConcernLinkedToPerson,
    ConcernRaised,
    ConcernUnlinkedFromPerson,
    RepeatConcernLinked,
    S42Decision,
    S42DecisionMade,
)
from shared.mongo import Database, Document, Session
from shared.projection import Projection
from shared.topics import INTAKE_EVENTS

DIRECTORY: Final = "people_directory"
MAX_RESULTS: Final = 50


def name_words(name: str) -> list[str]:
    """A name's words as search sees them: a hyphen or an apostrophe separates words too, so
    "Nowak-Ellis" is found by "Ellis"."""
    return normalised_name(re.sub(r"[-'’.,]", " ", name)).split()


class ConcernAboutPerson(BaseModel):
    concern_id: str
    reference: str
    raised_at: AwareDatetime
    agency: str
    decision: S42Decision | None
    repeat_of_concern_id: str | None


class PersonFound(BaseModel):
    """A person on record, as the concerns about them describe them (the latest first)."""

    person_id: str
    name: str = Field(description="As the latest concern gives it.")
    other_names: list[str] = Field(description="Other names earlier concerns gave.")
    date_of_birth: date | None
    nhs_number: str | None
    postcode: str | None
    concerns: list[ConcernAboutPerson] = Field(description="Newest first.")


class PeopleDirectory(Projection):
    name = "people-directory"
    topics: Sequence[str] = (INTAKE_EVENTS,)
    read_models = (DIRECTORY,)

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.directory = database[DIRECTORY]

    async def ensure_indexes(self) -> None:
        for key in ("person_id", "nhs_number", "reference", "date_of_birth", "postcode"):
            await self.directory.create_index([(key, ASCENDING)])

    async def project(self, events: Sequence[Envelope], session: Session) -> None:
        changes: list[tuple[Envelope, Document]] = []
        for event in events:
            change: Document | None = None
            match event.payload:
                case ConcernRaised() as raised:
                    person = raised.person
                    address = person.contact.address
                    change = {
                        "$set": {
                            "person_id": raised.person_id,
                            "reference": raised.reference,
                            "raised_at": event.occurred_at,
                            "agency": raised.agency,
                            "name": person.name,
                            "name_words": name_words(person.name),
                            "date_of_birth": person.date_of_birth.isoformat()
                            if person.date_of_birth
                            else None,
                            "nhs_number": person.nhs_number,
                            "postcode": normalised_postcode(address.postcode) if address else None,
                            "postcode_as_given": address.postcode if address else None,
                            "repeat_of_concern_id": raised.repeat_of_concern_id,
                        },
                        "$setOnInsert": {"decision": None},
                    }
                case ConcernLinkedToPerson() as linked:
                    change = {"$set": {"person_id": linked.person_id}}
                case ConcernUnlinkedFromPerson() as unlinked:
                    change = {"$set": {"person_id": unlinked.new_person_id}}
                case RepeatConcernLinked() as repeat:
                    change = {"$set": {"repeat_of_concern_id": repeat.repeat_of_concern_id}}
                case S42DecisionMade() as decided:
                    change = {"$set": {"decision": decided.decision.value}}
                case _:
                    pass
            if change is not None:
                changes.append((event, change))
        await change_each_concern(self.directory, changes, session)


class People:
    """Reads the directory."""

    def __init__(self, database: Database) -> None:
        self.directory = database[DIRECTORY]

    async def search(
        self,
        *,
        name: str | None = None,
        date_of_birth: date | None = None,
        postcode: str | None = None,
        nhs_number: str | None = None,
        reference: str | None = None,
    ) -> list[PersonFound]:
        """People whose concerns match every criterion given: each word of `name` starts a
        word of the name (accents, case and punctuation ignored), `postcode` starts the postcode
        (spaces and case ignored), the others are equal."""
        query: Document = {}
        if name:
            words = name_words(name)
            query["$and"] = [{"name_words": {"$regex": f"^{re.escape(w)}"}} for w in words]
        if date_of_birth:
            query["date_of_birth"] = date_of_birth.isoformat()
        if postcode:
            query["postcode"] = {"$regex": f"^{re.escape(normalised_postcode(postcode))}"}
        if nhs_number:
            query["nhs_number"] = re.sub(r"\D", "", nhs_number)
        if reference:
            query["reference"] = reference.strip().upper()
        if not query:
            return []
        matching = await self.directory.find(query, {"person_id": 1}).limit(500).to_list()
        people = list(dict.fromkeys(doc["person_id"] for doc in matching))[:MAX_RESULTS]
        found = [await self.person(person_id) for person_id in people]
        return [person for person in found if person is not None]

    async def person(self, person_id: str) -> PersonFound | None:
        concerns = (
            await self.directory.find({"person_id": person_id})
            .sort([("raised_at", DESCENDING), ("_id", ASCENDING)])
            .to_list()
        )
        if not concerns:
            return None
        latest = concerns[0]
        names = list(dict.fromkeys(str(doc["name"]) for doc in concerns))
        return PersonFound(
            person_id=person_id,
            name=latest["name"],
            other_names=names[1:],
            date_of_birth=next((d["date_of_birth"] for d in concerns if d["date_of_birth"]), None),
            nhs_number=next((d["nhs_number"] for d in concerns if d["nhs_number"]), None),
            postcode=next((d["postcode_as_given"] for d in concerns if d["postcode"]), None),
            concerns=[
                ConcernAboutPerson.model_validate({**doc, "concern_id": doc["_id"]})
                for doc in concerns
            ],
        )
