"""The typed context of one GraphQL request: the viewer, settings and fresh DataLoaders."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import HTTPConnection
from starlette.responses import Response

from hub.access import ANONYMOUS, Viewer, mentors_in_open_plans_of
from hub.core import Settings
from hub.web import ResponseCache
from schema.directory.loaders import (
    AllocatedByMentorIdLoader,
    AreasByCommunityIdLoader,
    CentreByIdLoader,
    CentreByKecamatanIdLoader,
    CommunityByIdLoader,
    MentorByIdLoader,
    MentorsByCentreIdLoader,
    MentorsByCommunityIdLoader,
    SectorByIdLoader,
    SectorLinksByCommunityIdLoader,
    SkillsByMentorIdLoader,
)
from schema.integration.loaders import DeliveriesByWebhookLoader, EventByPositionLoader
from schema.matching.loaders import MatchingLoaders
from schema.notifications.loaders import NotificationsByPlanIdLoader
from schema.participation.loaders import (
    ParticipantByIdLoader,
    RegistrationByIdLoader,
    RegistrationCountsByTrainingIdLoader,
    RegistrationsByTrainingIdLoader,
)
from schema.plans.loaders import (
    AccountByIdLoader,
    AllocationsByPlanIdLoader,
    EventsByPlanIdLoader,
    MentorLinksByTrainingIdLoader,
    OrganisersByTrainingIdLoader,
    PartiesByPlanIdLoader,
    PlanByIdLoader,
    TrainingByIdLoader,
    TrainingsByPlanIdLoader,
)
from schema.regions.loaders import KecamatansByKotaIdLoader, RegionByCodeLoader, RegionByIdLoader


@dataclass
class Loaders:
    """One of each DataLoader, for one request."""

    region_by_id: RegionByIdLoader = field(default_factory=RegionByIdLoader)
    region_by_code: RegionByCodeLoader = field(default_factory=RegionByCodeLoader)
    kecamatans_by_kota_id: KecamatansByKotaIdLoader = field(
        default_factory=KecamatansByKotaIdLoader
    )
    sector_by_id: SectorByIdLoader = field(default_factory=SectorByIdLoader)
    centre_by_id: CentreByIdLoader = field(default_factory=CentreByIdLoader)
    centre_by_kecamatan_id: CentreByKecamatanIdLoader = field(
        default_factory=CentreByKecamatanIdLoader
    )
    community_by_id: CommunityByIdLoader = field(default_factory=CommunityByIdLoader)
    mentor_by_id: MentorByIdLoader = field(default_factory=MentorByIdLoader)
    mentors_by_centre_id: MentorsByCentreIdLoader = field(default_factory=MentorsByCentreIdLoader)
    mentors_by_community_id: MentorsByCommunityIdLoader = field(
        default_factory=MentorsByCommunityIdLoader
    )
    skills_by_mentor_id: SkillsByMentorIdLoader = field(default_factory=SkillsByMentorIdLoader)
    allocated_by_mentor_id: AllocatedByMentorIdLoader = field(
        default_factory=AllocatedByMentorIdLoader
    )
    sector_links_by_community_id: SectorLinksByCommunityIdLoader = field(
        default_factory=SectorLinksByCommunityIdLoader
    )
    areas_by_community_id: AreasByCommunityIdLoader = field(
        default_factory=AreasByCommunityIdLoader
    )
    plan_by_id: PlanByIdLoader = field(default_factory=PlanByIdLoader)
    training_by_id: TrainingByIdLoader = field(default_factory=TrainingByIdLoader)
    account_by_id: AccountByIdLoader = field(default_factory=AccountByIdLoader)
    parties_by_plan_id: PartiesByPlanIdLoader = field(default_factory=PartiesByPlanIdLoader)
    allocations_by_plan_id: AllocationsByPlanIdLoader = field(
        default_factory=AllocationsByPlanIdLoader
    )
    trainings_by_plan_id: TrainingsByPlanIdLoader = field(default_factory=TrainingsByPlanIdLoader)
    events_by_plan_id: EventsByPlanIdLoader = field(default_factory=EventsByPlanIdLoader)
    organisers_by_training_id: OrganisersByTrainingIdLoader = field(
        default_factory=OrganisersByTrainingIdLoader
    )
    mentor_links_by_training_id: MentorLinksByTrainingIdLoader = field(
        default_factory=MentorLinksByTrainingIdLoader
    )
    notifications_by_plan_id: NotificationsByPlanIdLoader = field(
        default_factory=NotificationsByPlanIdLoader
    )
    deliveries_by_webhook: DeliveriesByWebhookLoader = field(
        default_factory=DeliveriesByWebhookLoader
    )
    matching: MatchingLoaders = field(default_factory=MatchingLoaders)
    event_by_position: EventByPositionLoader = field(default_factory=EventByPositionLoader)
    participant_by_id: ParticipantByIdLoader = field(default_factory=ParticipantByIdLoader)
    registration_by_id: RegistrationByIdLoader = field(default_factory=RegistrationByIdLoader)
    registration_counts_by_training_id: RegistrationCountsByTrainingIdLoader = field(
        default_factory=RegistrationCountsByTrainingIdLoader
    )


@dataclass
class Context:
    """What every resolver may use: `info.context`."""

    settings: Settings
    viewer: Viewer = ANONYMOUS
    cache: ResponseCache | None = None
    request: HTTPConnection | None = None
    response: Response | None = None
    loaders: Loaders = field(default_factory=Loaders)
    connection_params: dict[str, Any] | None = None
    """A WebSocket's `connection_init` payload (where its `Authorization` comes from)."""
    _plan_mentor_ids: asyncio.Task[set[int]] | None = None
    _registrations_by_training_id: RegistrationsByTrainingIdLoader | None = None

    def __post_init__(self) -> None:
        _current.set(self)

    @staticmethod
    def current() -> Context:
        """The context of the request being executed (set when it is made)."""
        return _current.get()

    async def plan_mentor_ids(self) -> set[int]:
        """Mentors whose contact data the viewer sees through open plans (one query, once)."""
        if self._plan_mentor_ids is None:
            self._plan_mentor_ids = asyncio.ensure_future(mentors_in_open_plans_of(self.viewer))
        return await self._plan_mentor_ids

    def read_again(self, loaders: Loaders) -> None:
        """Read the next result of a subscription afresh: with `loaders` (as they are now)
        and without what was kept for the viewer's earlier results."""
        self.loaders = loaders
        self._plan_mentor_ids = None
        self._registrations_by_training_id = None

    def registrations_by_training_id(self) -> RegistrationsByTrainingIdLoader:
        """The registrations the viewer may see, by training (made once per request: it
        depends on the viewer)."""
        if self._registrations_by_training_id is None:
            self._registrations_by_training_id = RegistrationsByTrainingIdLoader(self.viewer)
        return self._registrations_by_training_id


_current: ContextVar[Context] = ContextVar("hub_request_context")

Info = strawberry.Info[Context, Any]
