"""Settings of the pledge manager after funding: backers' surveys, their reminders, and
how long shipping addresses are kept (docs/domain.md#after-funding-surveys-and-addresses)."""

from __future__ import annotations

from datetime import timedelta


class FulfilmentSettings:
    """Surveys and shipping addresses (a part of ``BaseConfig``)."""

    #: A shipping address (and the survey's answers) is erased this long after the founder
    #: marks its reward delivered (time for a lost parcel to be sent again)...
    FULFILMENT_ADDRESS_RETENTION = timedelta(days=90)
    #: ... and never kept longer than this after the campaign's deadline, delivered or not.
    FULFILMENT_ADDRESS_MAX_RETENTION = timedelta(days=3 * 365)
    #: Backers who have not answered their survey are reminded this often after the
    #: invitation, at most FULFILMENT_REMINDERS times.
    FULFILMENT_REMINDER_EVERY = timedelta(days=7)
    FULFILMENT_REMINDERS = 3
    #: Addresses erased per transaction by the erase job (each batch is committed: a job
    #: killed midway loses at most one batch's work, which the next run does again).
    FULFILMENT_ERASE_BATCH = 500
