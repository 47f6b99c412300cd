"""Emails from outbox rows: subject, plain text and HTML in the recipient's language, headers,
calendar invites.

Bodies come from Jinja2 templates in `templates/<locale>/` (autoescaped HTML, shared layout,
loops over trainings and digest items); subjects and headlines from the phrase tables below.
Rendering reads only the rows' snapshots: no database access."""

from __future__ import annotations

import email.policy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from typing import Any, Protocol
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hub.core import Settings
from hub.core.validation import single_line
from hub.notify.calendar import training_invite
from hub.notify.events import JAKARTA, PARTICIPANT_KINDS, NotificationKind, base_url
from hub.notify.unsubscribe import make_token
from models.enums import DeliveryMode


class Addressed(Protocol):
    """What rendering reads of an outbox row (a `Notification`, or the worker's copy)."""

    @property
    def kind(self) -> str: ...
    @property
    def mode(self) -> DeliveryMode: ...
    @property
    def message_id(self) -> str: ...
    @property
    def recipient_email(self) -> str: ...
    @property
    def recipient_name(self) -> str: ...
    @property
    def locale(self) -> str: ...
    @property
    def context(self) -> dict[str, Any]: ...


LOCALES = ("id", "en")

_FOLD = re.compile(r"\r?\n[ \t]")


class HeaderSafePolicy(email.policy.Compat32):
    """compat32 that refuses a line break in any header value, other than the folds it makes
    itself (a break followed by a space or tab). compat32 lets `Reply-To : x` lines through,
    and a name or title holding one would add headers to the email or end the header block
    early; values are made single-line before they get here (`_header`), so this refusal is
    the second line of defence (DESIGN section 9)."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if isinstance(value, str) and any(c in _FOLD.sub("", value) for c in "\r\n"):
            raise ValueError(f"the {name} header would hold a line break")
        return super().header_store_parse(name, value)


MAIL_POLICY = HeaderSafePolicy(linesep="\r\n", max_line_length=998)
"""CRLF line ends; headers folded only past RFC 5322's hard limit. The classic (compat32)
MIME classes: the modern header registry costs milliseconds per message, which the delivery
worker's throughput cannot afford."""

SUBJECTS: dict[str, dict[NotificationKind, str]] = {
    "id": {
        NotificationKind.PLAN_PROPOSED: "Rencana baru diusulkan: {plan}",
        NotificationKind.PLAN_ANSWERED: "Tanggapan baru untuk rencana: {plan}",
        NotificationKind.PLAN_REVISED: "Rencana direvisi: {plan}",
        NotificationKind.PLAN_ACTIVATED: "Rencana disetujui semua pihak dan kini aktif: {plan}",
        NotificationKind.PLAN_DECLINED: "Rencana ditolak: {plan}",
        NotificationKind.PLAN_CANCELLED: "Rencana dibatalkan: {plan}",
        NotificationKind.PLAN_COMPLETED: "Rencana selesai: {plan}",
        NotificationKind.TRAINING_SCHEDULED: "Pelatihan dijadwalkan: {training} ({plan})",
        NotificationKind.TRAINING_CHANGED: "Jadwal pelatihan berubah: {training} ({plan})",
        NotificationKind.TRAINING_CANCELLED: "Pelatihan dibatalkan: {training} ({plan})",
    },
    "en": {
        NotificationKind.PLAN_PROPOSED: "New plan proposed: {plan}",
        NotificationKind.PLAN_ANSWERED: "New answer to the plan: {plan}",
        NotificationKind.PLAN_REVISED: "Plan revised: {plan}",
        NotificationKind.PLAN_ACTIVATED: "Plan accepted by every party and now active: {plan}",
        NotificationKind.PLAN_DECLINED: "Plan declined: {plan}",
        NotificationKind.PLAN_CANCELLED: "Plan cancelled: {plan}",
        NotificationKind.PLAN_COMPLETED: "Plan completed: {plan}",
        NotificationKind.TRAINING_SCHEDULED: "Training scheduled: {training} ({plan})",
        NotificationKind.TRAINING_CHANGED: "Training rescheduled: {training} ({plan})",
        NotificationKind.TRAINING_CANCELLED: "Training cancelled: {training} ({plan})",
    },
}

SEVERAL_TRAININGS = {"id": "{n} pelatihan", "en": "{n} trainings"}

HEADLINES: dict[str, dict[NotificationKind, str]] = {
    "id": {
        NotificationKind.PLAN_PROPOSED: "{actor} mengusulkan rencana pendampingan bersama.",
        NotificationKind.PLAN_ANSWERED: "{actor} menanggapi rencana ini.",
        NotificationKind.PLAN_REVISED: "{actor} merevisi rencana ini.",
        NotificationKind.PLAN_ACTIVATED: (
            "Semua pihak telah menyetujui rencana ini; rencana kini aktif."
        ),
        NotificationKind.PLAN_DECLINED: "{actor} menolak rencana ini.",
        NotificationKind.PLAN_CANCELLED: "{actor} membatalkan rencana ini.",
        NotificationKind.PLAN_COMPLETED: "{actor} menandai rencana ini selesai.",
        NotificationKind.TRAINING_SCHEDULED: "Pelatihan berikut kini terjadwal.",
        NotificationKind.TRAINING_CHANGED: "{actor} mengubah jadwal atau tempat pelatihan berikut.",
        NotificationKind.TRAINING_CANCELLED: "Pelatihan berikut dibatalkan.",
    },
    "en": {
        NotificationKind.PLAN_PROPOSED: "{actor} proposed a joint mentoring plan.",
        NotificationKind.PLAN_ANSWERED: "{actor} answered this plan.",
        NotificationKind.PLAN_REVISED: "{actor} revised this plan.",
        NotificationKind.PLAN_ACTIVATED: "Every party has accepted this plan; it is now active.",
        NotificationKind.PLAN_DECLINED: "{actor} declined this plan.",
        NotificationKind.PLAN_CANCELLED: "{actor} cancelled this plan.",
        NotificationKind.PLAN_COMPLETED: "{actor} marked this plan completed.",
        NotificationKind.TRAINING_SCHEDULED: "The following training is now scheduled.",
        NotificationKind.TRAINING_CHANGED: "{actor} changed the time or place of this training.",
        NotificationKind.TRAINING_CANCELLED: "The following training has been cancelled.",
    },
}

KIND_NAMES: dict[str, dict[NotificationKind, str]] = {
    "id": {
        NotificationKind.PLAN_PROPOSED: "rencana diusulkan",
        NotificationKind.PLAN_ANSWERED: "tanggapan atas rencana",
        NotificationKind.PLAN_REVISED: "rencana direvisi",
        NotificationKind.PLAN_ACTIVATED: "rencana aktif",
        NotificationKind.PLAN_DECLINED: "rencana ditolak",
        NotificationKind.PLAN_CANCELLED: "rencana dibatalkan",
        NotificationKind.PLAN_COMPLETED: "rencana selesai",
        NotificationKind.TRAINING_SCHEDULED: "pelatihan dijadwalkan",
        NotificationKind.TRAINING_CHANGED: "jadwal pelatihan berubah",
        NotificationKind.TRAINING_CANCELLED: "pelatihan dibatalkan",
        NotificationKind.PARTICIPANT_CONFIRMED: "pendaftaran pelatihan dikonfirmasi",
        NotificationKind.PARTICIPANT_WAITLISTED: "masuk daftar tunggu pelatihan",
        NotificationKind.PARTICIPANT_PROMOTED: "dapat tempat dari daftar tunggu",
        NotificationKind.PARTICIPANT_REMINDER: "pengingat pelatihan",
        NotificationKind.PARTICIPANT_CHANGED: "perubahan jadwal pelatihan Anda",
        NotificationKind.PARTICIPANT_CANCELLED: "pembatalan pelatihan Anda",
        NotificationKind.WEBHOOK_DISABLED: "webhook dinonaktifkan",
    },
    "en": {
        NotificationKind.PLAN_PROPOSED: "plan proposed",
        NotificationKind.PLAN_ANSWERED: "answer to a plan",
        NotificationKind.PLAN_REVISED: "plan revised",
        NotificationKind.PLAN_ACTIVATED: "plan active",
        NotificationKind.PLAN_DECLINED: "plan declined",
        NotificationKind.PLAN_CANCELLED: "plan cancelled",
        NotificationKind.PLAN_COMPLETED: "plan completed",
        NotificationKind.TRAINING_SCHEDULED: "training scheduled",
        NotificationKind.TRAINING_CHANGED: "training rescheduled",
        NotificationKind.TRAINING_CANCELLED: "training cancelled",
        NotificationKind.PARTICIPANT_CONFIRMED: "training registration confirmed",
        NotificationKind.PARTICIPANT_WAITLISTED: "on a training's waitlist",
        NotificationKind.PARTICIPANT_PROMOTED: "a place from the waitlist",
        NotificationKind.PARTICIPANT_REMINDER: "training reminder",
        NotificationKind.PARTICIPANT_CHANGED: "your training rescheduled",
        NotificationKind.PARTICIPANT_CANCELLED: "your training cancelled",
        NotificationKind.WEBHOOK_DISABLED: "webhook disabled",
    },
}
"""Kinds of event in words, for the unsubscribe page."""

PARTICIPANT_SUBJECTS = {
    NotificationKind.PARTICIPANT_CONFIRMED: "Pendaftaran Anda dikonfirmasi: {training}",
    NotificationKind.PARTICIPANT_WAITLISTED: "Anda di daftar tunggu nomor {position}: {training}",
    NotificationKind.PARTICIPANT_PROMOTED: "Anda mendapat tempat: {training}",
    NotificationKind.PARTICIPANT_REMINDER: "Pengingat: {training} besok",
    NotificationKind.PARTICIPANT_CHANGED: "Jadwal pelatihan Anda berubah: {training}",
    NotificationKind.PARTICIPANT_CANCELLED: "Pelatihan Anda dibatalkan: {training}",
}
PARTICIPANT_HEADLINES = {
    NotificationKind.PARTICIPANT_CONFIRMED: (
        "Pendaftaran Anda untuk pelatihan berikut sudah dikonfirmasi."
    ),
    NotificationKind.PARTICIPANT_WAITLISTED: (
        "Pelatihan berikut sudah penuh. Anda berada di daftar tunggu nomor {position}; kami "
        "akan mengabari Anda bila ada tempat."
    ),
    NotificationKind.PARTICIPANT_PROMOTED: (
        "Kabar baik: ada tempat kosong dan pendaftaran Anda kini dikonfirmasi."
    ),
    NotificationKind.PARTICIPANT_REMINDER: "Pelatihan Anda dimulai dalam 24 jam.",
    NotificationKind.PARTICIPANT_CHANGED: (
        "Waktu atau tempat pelatihan Anda berubah; berikut jadwal terbaru."
    ),
    NotificationKind.PARTICIPANT_CANCELLED: "Pendaftaran Anda untuk pelatihan berikut dibatalkan.",
}
"""Subjects and headlines of the emails to residents (Indonesian)."""

SOMEONE = {"id": "Seseorang", "en": "Someone"}
DIGEST_SUBJECT = {
    "id": "Ringkasan harian OK OCE: {n} kabar",
    "en": "OK OCE daily digest: {n} updates",
}
PLAN_STATUS = {
    "id": {
        "PROPOSED": "diusulkan",
        "ACTIVE": "aktif",
        "DECLINED": "ditolak",
        "CANCELLED": "dibatalkan",
        "COMPLETED": "selesai",
    },
    "en": {
        "PROPOSED": "proposed",
        "ACTIVE": "active",
        "DECLINED": "declined",
        "CANCELLED": "cancelled",
        "COMPLETED": "completed",
    },
}
DAYS = {
    "id": ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
MONTHS = {
    "id": [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}

PLAN_QUERY = (
    "query Plan($id: ID!) {\n  node(id: $id) {\n    ... on Plan {\n      title status version"
    " startsOn endsOn\n      parties { status centre { name } community { name } note }\n"
    "      trainings { title status startsAt endsAt venue }\n      events { kind at details }\n"
    "    }\n  }\n}\n"
)


def _locale(value: str) -> str:
    return value if value in LOCALES else "id"


def format_day(value: date, locale: str) -> str:
    """`Senin, 2 Juni 2025` / `Monday, 2 June 2025`."""
    return (
        f"{DAYS[locale][value.weekday()]}, {value.day} {MONTHS[locale][value.month - 1]}"
        f" {value.year}"
    )


def format_period(starts_at: str, ends_at: str, locale: str) -> str:
    """A training's time in Jakarta, e.g. `Senin, 2 Juni 2025, 09.00-12.00 WIB` (with an
    en dash)."""
    start = datetime.fromisoformat(starts_at).astimezone(JAKARTA)
    end = datetime.fromisoformat(ends_at).astimezone(JAKARTA)
    sep = "." if locale == "id" else ":"
    clock = f"{start.hour:02d}{sep}{start.minute:02d}"
    until = f"{end.hour:02d}{sep}{end.minute:02d}"
    if end.date() != start.date():
        until = f"{format_day(end.date(), locale)}, {until}"
    return f"{format_day(start.date(), locale)}, {clock}\u2013{until} WIB"


def plan_link(settings: Settings, plan_gid: str) -> str:
    """The plan in the hub's GraphiQL, with its query filled in."""
    return f"{base_url(settings)}/graphql?" + urlencode(
        {"q": PLAN_QUERY, "variables": f'{{"id": "{plan_gid}"}}'}
    )


@cache
def templates() -> Environment:
    return Environment(
        loader=PackageLoader("hub.notify", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True)
class Item:
    """One event as an email shows it."""

    kind: NotificationKind
    subject: str
    headline: str
    context: dict[str, Any]
    plan_url: str
    plan_status: str
    trainings: list[dict[str, Any]]


def _participant_item(row: Addressed) -> Item:
    kind = NotificationKind(row.kind)
    context = row.context
    trainings = [
        {**t, "when": format_period(t["starts_at"], t["ends_at"], "id")}
        for t in context.get("trainings", [])
    ]
    values = {
        "training": trainings[0]["title"] if trainings else "",
        "position": (context.get("registration") or {}).get("position") or "",
    }
    headline = str(context.get("headline") or PARTICIPANT_HEADLINES[kind]).format(**values)
    return Item(
        kind=kind,
        subject=PARTICIPANT_SUBJECTS[kind].format(**values),
        headline=headline,
        context=context,
        plan_url="",
        plan_status="",
        trainings=trainings,
    )


WEBHOOK_SUBJECTS = {
    "id": "Webhook dinonaktifkan: {url}",
    "en": "Webhook disabled: {url}",
}
WEBHOOK_HEADLINES = {
    "id": "Webhook Anda tidak menerima kiriman dengan berhasil terlalu lama, jadi hub "
    "menonaktifkannya.",
    "en": "Your webhook has not accepted a delivery for too long, so the hub disabled it.",
}


def _webhook_item(row: Addressed, locale: str) -> Item:
    context = row.context
    return Item(
        kind=NotificationKind.WEBHOOK_DISABLED,
        subject=WEBHOOK_SUBJECTS[locale].format(url=context["webhook"]["url"]),
        headline=WEBHOOK_HEADLINES[locale],
        context=context,
        plan_url="",
        plan_status="",
        trainings=[],
    )


def _item(row: Addressed, locale: str, settings: Settings) -> Item:
    kind = NotificationKind(row.kind)
    if kind in PARTICIPANT_KINDS:
        return _participant_item(row)
    if kind is NotificationKind.WEBHOOK_DISABLED:
        return _webhook_item(row, locale)
    context = row.context
    plan = context["plan"]
    trainings = [
        {**t, "when": format_period(t["starts_at"], t["ends_at"], locale)}
        for t in context.get("trainings", [])
    ]
    if len(trainings) == 1:
        training = trainings[0]["title"]
    else:
        training = SEVERAL_TRAININGS[locale].format(n=len(trainings))
    actor = context.get("actor") or SOMEONE[locale]
    return Item(
        kind=kind,
        subject=SUBJECTS[locale][kind].format(plan=plan["title"], training=training),
        headline=HEADLINES[locale][kind].format(actor=actor),
        context=context,
        plan_url=plan_link(settings, plan["gid"]),
        plan_status=PLAN_STATUS[locale].get(plan["status"], plan["status"]),
        trainings=trainings,
    )


@dataclass(frozen=True)
class Rendered:
    """A message ready to hand to SMTP: envelope and bytes (CRLF, 7-bit)."""

    data: bytes
    sender: str
    recipient: str

    def as_bytes(self) -> bytes:
        return self.data


def render(rows: Sequence[Addressed], *, settings: Settings, key: bytes, now: datetime) -> Rendered:
    """The email for one immediate row, or for one address's digest rows (the first row's
    Message-ID is the email's). `now` is its Date and its invites' DTSTAMP."""
    first = rows[0]
    locale = _locale(first.locale)
    items = [_item(row, locale, settings) for row in rows]
    kinds = sorted({i.kind for i in items})
    token = make_token(key=key, email=first.recipient_email, kinds=kinds)
    unsubscribe_url = f"{base_url(settings)}/unsubscribe/{token}"
    digest = first.mode is DeliveryMode.DIGEST
    values = {
        "name": first.recipient_name,
        "items": items,
        "item": items[0],
        "unsubscribe_url": unsubscribe_url,
        "kinds": [k.value for k in kinds],
        "format_day": lambda iso: format_day(date.fromisoformat(iso), locale),
    }
    template = "digest" if digest else "event"
    if items[0].kind in PARTICIPANT_KINDS:
        locale, template = "id", "participant"
    elif items[0].kind is NotificationKind.WEBHOOK_DISABLED:
        template = "webhook"
    env = templates()
    text = env.get_template(f"{locale}/{template}.txt").render(values)
    html = env.get_template(f"{locale}/{template}.html").render(values)
    subject = DIGEST_SUBJECT[locale].format(n=len(items)) if digest else items[0].subject

    body = MIMEMultipart(
        "alternative", _subparts=[_text(text, "plain"), _text(html, "html")], policy=MAIL_POLICY
    )
    invites = [] if digest else _invites(items[0], first, settings=settings, now=now)
    if len(invites) == 1:
        body.attach(invites[0][1])
    elif invites:
        body = MIMEMultipart("mixed", _subparts=[body], policy=MAIL_POLICY)
        for training, part in invites:
            part.add_header(
                "Content-Disposition", "attachment", filename=f"training-{training['id']}.ics"
            )
            body.attach(part)

    sender_name, sender = parseaddr(settings.mail_from)
    body["From"] = formataddr((single_line(sender_name), sender), charset="utf-8")
    body["To"] = formataddr(
        (single_line(first.recipient_name), first.recipient_email), charset="utf-8"
    )
    body["Subject"] = _header(f"[OK OCE] {subject}")
    body["Date"] = format_datetime(now)
    body["Message-ID"] = first.message_id
    body["Content-Language"] = locale
    body["Auto-Submitted"] = "auto-generated"
    body["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    body["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    body["X-Hub-Notification-Kind"] = ",".join(k.value for k in kinds)
    return Rendered(
        data=body.as_bytes(policy=MAIL_POLICY), sender=sender, recipient=first.recipient_email
    )


def _header(value: str) -> str:
    """A header value on one line (rows written before the input rules may hold line breaks),
    RFC 2047-encoded when it is not ASCII."""
    value = single_line(value)
    return value if value.isascii() else Header(value, "utf-8").encode(maxlinelen=998)


def _text(content: str, subtype: str, **params: str) -> MIMEText:
    """A text part: 7-bit when the text is ASCII, else UTF-8 in base64 (so no relay needs
    8BITMIME)."""
    charset = "us-ascii" if content.isascii() else "utf-8"
    part = MIMEText(content, subtype, charset, policy=MAIL_POLICY)
    for name, value in params.items():
        part.set_param(name, value)
    return part


def _invites(
    item: Item, row: Addressed, *, settings: Settings, now: datetime
) -> list[tuple[dict[str, Any], MIMEText]]:
    """RFC 6047: a `text/calendar` part per training whose `method` parameter equals its
    METHOD. One training goes inside multipart/alternative, where mail programs look for
    invites; several go as one part each (one UID per iTIP message)."""
    method = item.context.get("method")
    if not method:
        return []
    return [
        (
            t,
            _text(
                training_invite(
                    training=t,
                    method=method,
                    organiser=settings.mail_from,
                    attendee_email=row.recipient_email,
                    attendee_name=single_line(row.recipient_name),
                    description=f"{item.headline}\n{item.plan_url}",
                    stamp=now,
                ).decode(),
                "calendar",
                method=method,
            ),
        )
        for t in item.trainings
    ]
