"""DataLoaders of plans, their parts, trainings and accounts."""

from __future__ import annotations

from models.accounts import Account
from models.plans import (
    Allocation,
    Plan,
    PlanEvent,
    PlanParty,
    Training,
    TrainingMentor,
    TrainingOrganiser,
)
from schema.loading import ModelByKeyLoader, ModelsByKeyLoader


class PlanByIdLoader(ModelByKeyLoader[Plan]):
    model = Plan


class TrainingByIdLoader(ModelByKeyLoader[Training]):
    model = Training


class AccountByIdLoader(ModelByKeyLoader[Account]):
    model = Account


class PartiesByPlanIdLoader(ModelsByKeyLoader[PlanParty]):
    """In the order they were written: the centre's party first, then the communities'."""

    model = PlanParty
    key = "plan_id"


class AllocationsByPlanIdLoader(ModelsByKeyLoader[Allocation]):
    model = Allocation
    key = "plan_id"


class TrainingsByPlanIdLoader(ModelsByKeyLoader[Training]):
    model = Training
    key = "plan_id"
    ordering = ("starts_at", "id")


class EventsByPlanIdLoader(ModelsByKeyLoader[PlanEvent]):
    model = PlanEvent
    key = "plan_id"


class OrganisersByTrainingIdLoader(ModelsByKeyLoader[TrainingOrganiser]):
    model = TrainingOrganiser
    key = "training_id"


class MentorLinksByTrainingIdLoader(ModelsByKeyLoader[TrainingMentor]):
    model = TrainingMentor
    key = "training_id"
