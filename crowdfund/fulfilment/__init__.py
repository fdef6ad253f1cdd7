"""The pledge manager after funding: each backer of a reward gets a survey (a shipping
address, validated for the pledge's destination, and the founder's questions for the
tier); reminders; the founder's progress and fulfilment CSV; addresses locked when a tier
ships and erased once delivery no longer needs them
(docs/domain.md#after-funding-surveys-and-addresses).

Wired by events (``subscribers``): a collected charge opens the backer's survey, a delivery
report of "shipping" locks the tier's addresses and "delivered" schedules their erasure,
a full refund erases at once. Its pages: the backer's survey (on the pledges blueprint),
the founder's (on the studio's), the operators' (``operators/fulfilment.py``)."""

from flask import Blueprint

#: Only commands (``flask fulfilment ...``); the pages are on the pledges' and the studio's.
bp = Blueprint("fulfilment", __name__, cli_group="fulfilment")
