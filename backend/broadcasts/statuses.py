"""What a broadcast's and a recipient's statuses are called, as msgids of the ``locales/``
catalogs: the one place these names live (progress message, final report, CSV report).
"""

from __future__ import annotations

from backend.i18n import N_

BROADCAST_STATUS = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "running": N_("Sending"),
    "paused": N_("Paused"),
    "done": N_("Finished"),
    "cancelled": N_("Cancelled"),
}

# A recipient's outbox row; "blocked" is a failed row whose recipient blocked the bot.
RECIPIENT_STATUS = {
    "pending": N_("waiting"),
    "held": N_("waiting (paused)"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "failed": N_("not delivered"),
    "blocked": N_("blocked the bot"),
    "cancelled": N_("cancelled"),
}
