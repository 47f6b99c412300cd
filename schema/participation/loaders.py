"""DataLoaders of participants, registrations and the public figures of trainings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from hub.access import Viewer
from hub.participation import registration_counts, registration_query, visible_participant_ids
from models.participation import Participant, Registration
from schema.loading import ModelByKeyLoader, grouped


class ParticipantByIdLoader(ModelByKeyLoader[Participant]):
    model = Participant


class RegistrationByIdLoader(ModelByKeyLoader[Registration]):
    model = Registration


@dataclass(frozen=True)
class RegistrationCounts:
    confirmed: int = 0
    waitlisted: int = 0
    attended: int = 0


class RegistrationCountsByTrainingIdLoader(DataLoader[int, RegistrationCounts]):
    """The counts of a page of trainings in one statement."""

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[int]) -> list[RegistrationCounts]:
        counts = await registration_counts(keys)
        return [RegistrationCounts(**counts[k]) for k in keys]


class RegistrationsByTrainingIdLoader(DataLoader[int, list[tuple[Registration, bool]]]):
    """The registrations of each training that the viewer may see, with whether the person's
    data is visible: two statements for a whole page of trainings."""

    def __init__(self, viewer: Viewer) -> None:
        super().__init__(load_fn=self._load)
        self.viewer = viewer

    async def _load(self, keys: Sequence[int]) -> list[list[tuple[Registration, bool]]]:
        rows: list[Registration] = await registration_query(viewer=self.viewer).filter(
            training_id__in=list(keys)
        )
        visible = await visible_participant_ids(self.viewer, [r.participant_id for r in rows])
        return grouped(
            keys,
            [(r, r.participant_id in visible) for r in rows],
            lambda pair: pair[0].training_id,
        )
