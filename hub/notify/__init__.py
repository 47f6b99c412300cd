"""Email notifications: the transactional outbox, rendering, calendar invites, SMTP delivery.

    events.py       the kinds of event, Message-IDs, calendar UIDs, the digest time
    outbox.py       which emails a plan event makes; rows written in the change's transaction
    participants.py the emails to residents about their registrations, reminders included
    preferences.py  per address and kind of event: IMMEDIATE (default), DIGEST or OFF
    unsubscribe.py  signed one-click unsubscribe tokens (no account needed)
    render.py       subject, plain text and HTML from Jinja2 templates, in Indonesian or English
    calendar.py     iCalendar invites (REQUEST / CANCEL) in Asia/Jakarta time
    delivery.py     the worker: claims due rows, sends over one aiosmtplib connection, retries
    sink.py         the embedded SMTP server that keeps every message in a maildir
    runner.py       the worker as a process (`hub worker`, and the one `hub serve` starts)
    listing.py      what admins may list of the outbox
    pages.py        the unsubscribe confirmation page (HTTP)

Decisions a reader needs:

- A row is one email to one address. The outbox computes recipients when the event is written
  and stores a snapshot of what the email reports (plan, trainings, actor, details) in the
  row's `context`, and for an immediate row the finished email too (rendered once, in the
  change's transaction): the worker never reads plans and only hands bytes to SMTP.
- OFF writes no row at all: nothing is kept about an email nobody wants. Turning a kind OFF
  also marks that address's still-pending rows of the kind SKIPPED.
- Revisions and training changes wait `HUB_MAIL_COALESCE_SECONDS`. The first change opens the
  window; a later change for the same plan, address and kind (training changes: the same
  training) while the row is still PENDING replaces the row's snapshot and re-renders it,
  keeping its Message-ID and its due time, so rapid edits make one email showing the latest
  state, never postponed indefinitely.
- DIGEST rows are due at the next 07:00 Asia/Jakarta. The worker sends one email per address
  for all of that address's due digest rows, rendered then: the oldest row survives (its
  Message-ID is the email's) and becomes SENT, the others MERGED.
"""

from hub.notify.events import NotificationKind
from hub.notify.listing import notification_query
from hub.notify.outbox import mail_outbox_state, notify_plan_event
from hub.notify.pages import unsubscribe_endpoint
from hub.notify.participants import notify_registration
from hub.notify.preferences import update_viewer_preferences, viewer_preferences
from hub.notify.runner import run_worker

__all__ = [
    "NotificationKind",
    "mail_outbox_state",
    "notification_query",
    "notify_plan_event",
    "notify_registration",
    "run_worker",
    "unsubscribe_endpoint",
    "update_viewer_preferences",
    "viewer_preferences",
]
