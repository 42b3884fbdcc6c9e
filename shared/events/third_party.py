"""Which recorded data is about someone other than the person a record is about: the one home
for what a subject access bundle marks for a practitioner's redaction review before release (UK
GDPR Art. 15(4), DPA 2018 Sch. 2 para 16: another person's data is disclosed only with their
consent or where it is reasonable).

Three rules, applied to events and read models alike:
1. a field named in `THIRD_PARTY_FIELDS` is about someone else, whatever it holds;
2. an entry with a `role` other than the person's own that names someone, reaches them or was
   written to them (a representative, an advocate, a professional, a participant, a recipient,
   a message to one of them) is that someone's;
3. the whole payload of an event in `THIRD_PARTY_EVENTS` is about someone else.

`tests/unit/test_third_party_data.py` reads every event contract: a field that holds one of the
value types about other people, or a top-level name or contact, must be covered by a rule, so a
new one cannot be added unmarked.
"""

from __future__ import annotations

THIRD_PARTY_FIELDS: dict[str, str] = {
    "alleged_source_of_risk": "the alleged source of risk",
    "alleged_sources_of_risk": "the alleged sources of risk",
    "referrer": "the referrer (who raised the concern)",
    "representative": "her representative",
    "contact_with": "professionals a case note is about",
    "consulted": "people consulted, and their views",
    "addressee": "whom a letter was addressed to",
}

OWN_ROLE = "person"
"""The role the person herself has in participants, recipients, deliveries and views."""

THIRD_PARTY_EVENTS: dict[str, str] = {
    "AdvocateAppointed": "her advocate (name, organisation, contact)",
    "LeadWorkerAssigned": "a member of staff (name, contact)",
}


def third_party_reason(key: str | None, value: object) -> str | None:
    """Why this field (its key and value) is about someone else, or None."""
    if key in THIRD_PARTY_FIELDS:
        return THIRD_PARTY_FIELDS[key]
    if isinstance(value, dict):
        role = value.get("role")
        if isinstance(role, str) and role != OWN_ROLE and {"name", "contact", "body"} & set(value):
            return f"another person ({role.replace('_', ' ')})"
    return None
