"""Domain events: what happened, for the features that react to it.

A service that changes something other features care about emits one of these signals
(blinker, which Flask ships) inside its transaction, after the change is made; features
that react (the emails, followers, equity milestones, pledges released with a stopped
campaign, later the task queue) connect a receiver in their own package, registered by
``create_app`` (``crowdfund.subscribers``). So a service never imports the package that
reacts to it, and the reaction happens in the same transaction: if the view rolls back,
the emails queued in the outbox go with it.

Receivers are called in the order they were connected, synchronously, with the sender
(the object the event is about) and the keyword arguments listed for each signal. A
receiver that fails makes the service fail (same as a direct call did): reactions that
must not stop the action isolate themselves (``supervision.each_isolated``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableSet

from blinker import NamedSignal


class _OrderedSet(MutableSet):
    """blinker keeps receivers in sets (no order); ours are called in connecting order,
    so that a reaction's emails are queued in the same order every time."""

    def __init__(self, items: Iterable = ()) -> None:
        self._items = dict.fromkeys(items)

    def __contains__(self, item) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item) -> None:
        self._items[item] = None

    def discard(self, item) -> None:
        self._items.pop(item, None)

    def copy(self) -> _OrderedSet:
        return _OrderedSet(self._items)


class Event(NamedSignal):
    set_class = _OrderedSet



# --- accounts (sender: the User) ----------------------------------------------------------
account_link_issued = Event(
    "account-link-issued", doc="token (AccountToken): an emailed link to confirm an address "
    "or choose a new password; the message carries it, signed, only when sent")
address_claimed = Event(
    "address-claimed", doc="what (\"register\", \"change email\"): someone asked for an "
    "account at the address this user owns")
password_changed = Event("password-changed", doc="how (\"changed\", \"reset\")")
email_changed = Event("email-changed", doc="old_email: the address it replaced")
identity_decided = Event(
    "identity-decided", doc="verification (IdentityVerification): an operator verified the "
    "founder's identity, or refused the documents (its ``note`` says why); sent when the "
    "decision changes, not when the same one is saved again")

# --- campaigns (sender: the Campaign) ---------------------------------------------------
campaign_submitted = Event("campaign-submitted", doc="actor")
campaign_approved = Event("campaign-approved", doc="operator")
campaign_sent_back = Event("campaign-sent-back", doc="operator, reason: changes requested")
campaign_launched = Event("campaign-launched", doc="actor (None: scheduled)")
campaign_stopped = Event(
    "campaign-stopped", doc="actor, reason: cancelled by its founder or suspended by an "
    "operator before its deadline; its open pledges are to be released")
campaign_closed = Event(
    "campaign-closed", doc="funded, pledged (Money), backers: decided at the deadline")
pledges_told_outcome = Event(
    "pledges-told-outcome", doc="pledges, funded: one batch of a closed campaign's pledges, "
    "released if it failed")
campaign_closed_out = Event(
    "campaign-closed-out", doc="funded: every pledge of a closed campaign was told")
offering_changed = Event(
    "offering-changed", doc="change, what (the terms changed, in words), to_reconfirm (the "
    "commitments that must be reconfirmed: a material change): an operator applied a change "
    "to a live offering")

# --- pledges (sender: the Pledge) -------------------------------------------------------
pledge_activated = Event("pledge-activated", doc="actor: its card was confirmed")
pledge_changed = Event(
    "pledge-changed", doc="actor, before (pledges.snapshot.PledgeTerms: what it was): the "
    "backer changed the reward, add-ons, amount or destination of an open pledge")
pledge_card_replaced = Event(
    "pledge-card-replaced", doc="actor, before (PledgeTerms: the old card among them): the "
    "backer saved another card for an active pledge (investment)")
pledge_cancelled = Event(
    "pledge-cancelled", doc="actor, revoked (bool: an investor revoked within their "
    "reflection period): the backer (investor) cancelled an open pledge (investment)")
investment_reconfirmed = Event(
    "investment-reconfirmed", doc="actor, before (PledgeTerms), reconfirm_by (datetime: the "
    "change's deadline): the investor reconfirmed "
    "after a material change of the offering; amount and shares requoted on the new terms")
pledge_dropped = Event(
    "pledge-dropped", doc="with_campaign (bool: an operator cancelled the funded campaign; "
    "else its payment was not completed within the collection window)")
pledges_released = Event(
    "pledges-released", doc="pledge_ids (the active ones released: confirmed to their "
    "backers, unlike pending ones), by_founder (bool; else by an operator): a stopped or "
    "cancelled campaign (sender) released its open pledges; nothing is charged")

# --- money (sender: the Pledge, or the Campaign for a payout) ----------------------------
charge_collected = Event("charge-collected",
                                  doc="amount (Money), payment_intent_id")
charge_failed = Event("charge-failed", doc="fix_by (datetime): was active")
refund_issued = Event("refund-issued", doc="refund_id, amount (Money), reason")
payout_paid = Event("payout-paid", doc="amount (Money)")
dispute_opened = Event(
    "dispute-opened", doc="dispute_id (the gateway's), amount (Money), reason, due_by "
    "(datetime or None: the evidence deadline), inquiry (bool: no money taken yet): a "
    "backer's bank disputed the pledge's charge")
dispute_closed = Event(
    "dispute-closed", doc="dispute_id, amount (Money), fee (Money), outcome (\"won\": the "
    "charge stands; \"lost\": the backer keeps the money; \"warning_closed\": an inquiry "
    "ended without a dispute)")

# --- community (sender: the Campaign) -----------------------------------------------------
update_posted = Event("update-posted", doc="update")
comment_posted = Event("comment-posted", doc="comment")
delivery_reported = Event(
    "delivery-reported", doc="tier (RewardTier), report (DeliveryReport): the founder posted "
    "a reward's delivery status (shipping, delivered...)")


def receivers_of(event: Event) -> list:
    """The functions connected to ``event``, in calling order."""
    return list(event.receivers_for(None))
