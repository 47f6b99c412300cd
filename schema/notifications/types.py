"""GraphQL types of notifications and notification preferences."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from hub.access import can_see_plan, redact_addresses
from hub.core import Forbidden
from hub.notify import NotificationKind
from models import notifications as m
from models.enums import DeliveryMode, NotificationStatus
from models.plans import Plan as PlanRow
from schema.common import Connection, slice_connection
from schema.context import Info

if TYPE_CHECKING:
    from schema.plans.types import Plan, Training

PlanRef = Annotated["Plan", strawberry.lazy("schema.plans.types")]
TrainingRef = Annotated["Training", strawberry.lazy("schema.plans.types")]

strawberry.enum(
    NotificationKind,
    name="NotificationKind",
    description=(
        "What happened to a plan or its trainings. Each email reports one kind (a daily "
        "digest several), and preferences are chosen per kind."
    ),
)
strawberry.enum(
    NotificationStatus,
    description=(
        "Where an email stands: PENDING (waiting for its time or a retry), SENDING (claimed by "
        "a worker), SENT, FAILED (refused for good, or retries ran out), MERGED (went out "
        "inside another email: a daily digest), SKIPPED (the recipient unsubscribed before it "
        "went out)."
    ),
)
strawberry.enum(
    DeliveryMode,
    description=(
        "How an address wants a kind of email: IMMEDIATE (the default), DIGEST (one email "
        "a day, at 07:00 Jakarta time) or OFF."
    ),
)


@strawberry.type(
    description=(
        "One email to one recipient, written in the same transaction as the change it reports. "
        "Visible to whoever may see its plan."
    )
)
class Notification:
    kind: NotificationKind = strawberry.field(description="What the email reports.")
    status: NotificationStatus = strawberry.field(description="Where the email stands.")
    mode: DeliveryMode = strawberry.field(description="Sent on its own or in a daily digest.")
    attempts: int = strawberry.field(description="How many times sending was tried.")
    message_id: str = strawberry.field(
        description="The email's Message-ID, fixed when the notification was written."
    )
    recipient_name: str = strawberry.field(description="Who it is for.")
    locale: str = strawberry.field(description="Its language: `id` or `en`.")
    due_at: dt.datetime = strawberry.field(
        description="When it is (or was last) due to be sent: at once, after the coalescing "
        "window, at the digest time, or at its next retry."
    )
    sent_at: dt.datetime | None = strawberry.field(description="When the server accepted it.")
    created_at: dt.datetime = strawberry.field(description="When it was written.")
    row: strawberry.Private[m.Notification]

    @classmethod
    def from_model(cls, row: m.Notification) -> Notification:
        return cls(
            kind=NotificationKind(row.kind),
            status=row.status,
            mode=row.mode,
            attempts=row.attempts,
            message_id=row.message_id,
            recipient_name=row.recipient_name,
            locale=row.locale,
            due_at=row.due_at,
            sent_at=row.sent_at,
            created_at=row.created_at,
            row=row,
        )

    def _address_visible(self, info: Info) -> bool:
        viewer = info.context.viewer
        mine = viewer.account_id is not None and viewer.account_id == self.row.account_id
        return viewer.is_admin or mine

    @strawberry.field(
        description=(
            "Personal data: the recipient's address. Visible to admins and to the recipient "
            "itself; elsewhere null with FORBIDDEN."
        )
    )
    def recipient_email(self, info: Info) -> str | None:
        if not self._address_visible(info):
            raise Forbidden(f"the email address of {self.recipient_name} is personal data")
        return self.row.recipient_email

    @strawberry.field(
        description=(
            "The last failure: the server's reply or the connection problem. Where "
            "`recipientEmail` is hidden, every address it quotes reads `[address hidden]`."
        )
    )
    def last_error(self, info: Info) -> str | None:
        if self._address_visible(info):
            return self.row.last_error
        return redact_addresses(self.row.last_error, self.row.recipient_email)

    @strawberry.field(description="The plan it is about, when the viewer may see that plan.")
    async def plan(self, info: Info) -> PlanRef | None:
        from schema.plans.types import Plan

        if self.row.plan_id is None:
            return None
        row = await info.context.loaders.plan_by_id.load(self.row.plan_id)
        return Plan.from_model(row) if row and await plan_visible(info, row) else None

    @strawberry.field(description="The training it is about, for emails about one training.")
    async def training(self, info: Info) -> TrainingRef | None:
        from schema.plans.types import Training

        if self.row.training_id is None:
            return None
        row = await info.context.loaders.training_by_id.load(self.row.training_id)
        return Training.from_model(row) if row else None


async def plan_visible(info: Info, plan: PlanRow) -> bool:
    parties = await info.context.loaders.parties_by_plan_id.load(plan.id)
    return can_see_plan(info.context.viewer, plan, parties)


async def plan_notifications(
    info: Info, plan: PlanRow, *, first: int | None, after: str | None
) -> Connection[Notification]:
    """`Plan.notifications`: the plan's emails, newest first, to whoever may see the plan."""
    if not await plan_visible(info, plan):
        raise Forbidden("only the parties of a plan and admins see its notifications")
    rows = await info.context.loaders.notifications_by_plan_id.load(plan.id)
    return slice_connection([Notification.from_model(r) for r in rows], first=first, after=after)


@strawberry.type(description="How the signed-in account wants one kind of email.")
class NotificationPreference:
    kind: NotificationKind = strawberry.field(description="The kind of email.")
    mode: DeliveryMode = strawberry.field(description="Immediately, in a daily digest, or not.")


def preference_list(modes: dict[NotificationKind, DeliveryMode]) -> list[NotificationPreference]:
    return [NotificationPreference(kind=k, mode=v) for k, v in modes.items()]
