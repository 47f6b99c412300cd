"""DataLoaders of participants, registrations and the public figures of trainings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from hub.participation import registration_counts
from models.participation import Participant, Registration
from schema.loading import ModelByKeyLoader


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
