"""What notification does when a person is erased (`PersonErased`, from intake): nothing still
waiting is ever sent to her or to those she chose, no letter for her is printed, and what stays
is references: deliveries keep their reference, channel, times and hash; decisions their kind and
dates. Her informing stream's key is destroyed already, so nothing more can be recorded about her
either (a reaction meeting it skips the event as erased)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.notification.adapters.print_queue import MongoPrintQueue
from services.notification.read_models.case_index import CaseIndex
from services.notification.read_models.decisions import Decisions
from services.notification.read_models.deliveries import Deliveries
from shared.erasure import Eraser
from shared.events.intake import PersonErased
from shared.mongo import Session


def erasing_in_notification(
    deliveries: Deliveries,
    print_queue: MongoPrintQueue,
    decisions: Decisions,
    index: CaseIndex,
    clock: Callable[[], datetime],
) -> Eraser:
    async def erase(erased: PersonErased, session: Session) -> None:
        now = clock()
        references = await deliveries.erase_person(erased.person_id, now, session)
        await print_queue.withdraw(references, now, session)
        await decisions.erase_person(erased.person_id, session)
        await index.erase_person(erased.person_id, session)

    return erase
