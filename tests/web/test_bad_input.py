"""No input gets a 500: the URL map walked with out-of-range and malformed values for every
converter, and every form posted with out-of-range numbers and control characters, as an
operator and as a founder, on SQLite and PostgreSQL.

Routes and form fields are read from the app, so a new route or form is swept without
editing this file.
"""

from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser

import pytest
from werkzeug.routing import IntegerConverter
from wtforms.fields.core import UnboundField

from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.community.models import Comment
from crowdfund.extensions import db
from crowdfund.forms import BaseForm
from crowdfund.pledges.models import PledgeStatus
from crowdfund.settlement.models import Payout, PayoutStatus
from tests.factories import make_add_on, make_campaign, make_pledge, make_user

S = CampaignStatus
HUGE = [2**31, 2**63, 10**30]
#: What a hostile or careless client sends in form fields.
BAD_VALUES = ["Bad\x00value", "Title\r\nBcc: someone@example.com", "2147483648",
              "9223372036854775808", "   ", "-1", "1e400", "\x7f\x1b[31m"]
#: Dates at the ends of what Python and the databases hold, for date, month and
#: date-time fields.
BAD_DATES = ["0001-01-01", "9999-12-31", "0001-01-01T00:00", "9999-12-31T23:59", "0000-00",
             "2026-02-30", "10000-01-01"]
#: Routes whose answer is a file or a stream, not a page (still never a 5xx).
SKIP = {"static"}


@pytest.fixture
def world(session):
    founder = make_user(name="Founder")
    draft = make_campaign(founder, status=S.DRAFT)
    live = make_campaign(founder, status=S.LIVE)
    equity = make_campaign(founder, status=S.DRAFT, kind=CampaignKind.EQUITY, tiers=0)
    # funded: delivery and spending forms; approved: the scheduled launch
    funded = make_campaign(founder, status=S.COLLECTING)
    make_pledge(funded, status=PledgeStatus.COLLECTED)
    approved = make_campaign(founder, status=S.APPROVED)
    pledge = make_pledge(live)
    add_on = make_add_on(live)
    payout = Payout(campaign_id=live.id, amount_minor=100, currency=live.currency,
                    status=PayoutStatus.DUE, idempotency_key=f"campaign-{live.id}-payout",
                    due_at=live.deadline)
    comment = Comment(campaign_id=live.id, author_id=pledge.backer_id, body="Hello")
    db.session.add_all([payout, comment])
    operator = make_user(operator=True)
    session.commit()
    return {"founder": founder, "operator": operator, "backer": pledge.backer,
            "campaigns": [draft.id, live.id, equity.id, funded.id, approved.id],
            "slug": live.slug,
            "tier_id": live.tiers[0].id, "line_id": live.budget_lines[0].id,
            "pledge_id": pledge.id, "payout_id": payout.id, "comment_id": comment.id,
            "user_id": founder.id, "add_on_id": add_on.id}


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint not in SKIP]


def _values(rule, world, campaign_id) -> dict:
    """A value that exists for each of ``rule``'s arguments."""
    known = {"campaign_id": campaign_id, "slug": world["slug"], "tier_id": world["tier_id"],
             "line_id": world["line_id"], "pledge_id": world["pledge_id"],
             "payout_id": world["payout_id"], "comment_id": world["comment_id"],
             "user_id": world["user_id"], "add_on_id": world["add_on_id"], "document_id": 1,
             "holding_id": 1, "change_id": 1,
             "category": "technology", "filename": "x.png"}
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        items = getattr(converter, "items", None)
        values[name] = sorted(items)[0] if items else known.get(name)
    return values


def _good_urls(app, world):
    """Every route with values that exist (each campaign for campaign routes)."""
    out = []
    for rule in _rules(app):
        for campaign_id in world["campaigns"]:
            args = _values(rule, world, campaign_id)
            if None in args.values():
                continue
            with app.test_request_context():
                url = app.url_for(rule.endpoint, **args)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((rule.endpoint, method, url))
            if "campaign_id" not in rule.arguments:
                break
    return sorted(set(out))


def _int_arguments(rule) -> list[str]:
    return [name for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter)]


#: What a hostile client puts in a text path segment (a slug, a file name).
BAD_TEXT = ["a%00b", "%00", "a%0d%0aSet-Cookie:x", "x" * 3000, "%FF%FE", "..%2f..%2fetc",
            "%C0%AE", "a%7fb"]


def _malformed_urls(app, world):
    """Every path parameter malformed in turn (the others good): integers past the
    database's range and not numbers, text with NUL and control characters, overlong,
    not UTF-8. Choice (``any``) parameters are the router's to refuse."""
    out = []
    for rule in _rules(app):
        good = _values(rule, world, world["campaigns"][1])
        ints = _int_arguments(rule)
        for name in rule.arguments:
            if getattr(rule._converters[name], "items", None):
                continue
            bad_values = [*map(str, HUGE), "-1", "0x10", "%EF%BC%91"] if name in ints \
                else BAD_TEXT
            for bad in bad_values:
                url = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>",
                             lambda m, name=name, bad=bad, good=good: bad if m.group(1) == name
                             else str(good[m.group(1)]), rule.rule)
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    out.append((rule.endpoint, method, url))
    return sorted(set(out))


def _field_names() -> set[str]:
    names = set()
    stack = list(BaseForm.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        for name in dir(cls):
            if isinstance(getattr(cls, name, None), UnboundField):
                names.add(name)
    names.discard("csrf_token")
    return names


def _sweep(client, requests) -> list[tuple]:
    failures = []
    for endpoint, method, url, data in requests:
        try:
            response = client.open(url, method=method, data=data)
            status = response.status_code
        except Exception as exc:  # noqa: BLE001 - a crash is what this test looks for
            status = f"raised {exc!r}"[:300]
        if not isinstance(status, int) or status >= 500:
            failures.append((endpoint, method, url, str(data)[:80], status))
    return failures


@pytest.mark.parametrize("who", ["operator", "founder", "anonymous"])
def test_out_of_range_and_malformed_path_values_never_answer_5xx(app, client, auth, world,
                                                                   who):
    if who != "anonymous":
        auth.login_as(world[who])
    requests = [(e, m, u, {}) for e, m, u in _malformed_urls(app, world)]
    assert len(requests) > 200
    assert _sweep(client, requests) == []
    # and an id past the range is simply not there
    assert client.get(f"/founders/{2**31}").status_code == 404
    assert client.get(f"/pledges/{2**63}/card").status_code in (302, 404)


@pytest.mark.parametrize("who", ["operator", "founder"])
def test_every_form_with_out_of_range_numbers_and_control_characters(app, client, auth,
                                                                     world, who):
    auth.login_as(world[who])
    names = _field_names()
    assert {"title", "blurb", "parent_id", "amount", "label", "reason"} <= names
    posts = [(e, m, u) for e, m, u in _good_urls(app, world) if m == "POST"
             and e not in ("auth.logout", "webhooks.stripe_webhook")]
    assert len(posts) > 50
    requests = [(e, m, u, dict.fromkeys(names, bad)) for e, m, u in posts
                for bad in BAD_VALUES]
    assert _sweep(client, requests) == []


def test_query_strings_past_the_range_and_with_nul(app, client, auth, world):
    auth.login_as(world["operator"])
    gets = [(e, m, u) for e, m, u in _good_urls(app, world) if m == "GET"]
    requests = [(e, m, f"{u}?{q}", None) for e, m, u in gets
                for q in (f"page={2**31}", f"page={2**63}", "page=-5", "page=abc",
                          "q=%00", "q=a%00b", f"campaign={2**63}", "tier=%00", "sort=%00",
                          "next=%00", "ref=%0d%0a")]
    assert _sweep(client, requests) == []
    response = client.get("/discover?q=a%00b&page=99999999999999")
    assert response.status_code == 200


def test_nul_in_a_title_is_a_field_error_and_nothing_is_written(app, client, auth, world):
    auth.login_as(world["founder"])
    draft = world["campaigns"][0]
    response = client.post(f"/studio/{draft}/edit", data={"title": "Hello\x00there"})
    assert response.status_code == 400
    assert "Remove the control characters" in response.get_data(as_text=True)
    response = client.post(f"/studio/{draft}/edit", data={"title": "Two\r\nlines"})
    assert response.status_code == 400


@pytest.fixture
def signed(app):
    gateway = app.extensions["payment_gateway"]

    def post(client, body: bytes):
        return client.post("/webhooks/stripe", data=body, headers={
            "Stripe-Signature": gateway.sign(body, int(time.time())),
            "Content-Type": "application/json"})

    return post


@pytest.mark.parametrize("body", [
    b"[1, 2, 3]", b'"just a string"', b"null", b"{}", b'{"type": "x"}', b'{"id": "evt_1"}',
    b'{"id": 5, "type": "setup_intent.succeeded"}',
    b'{"id": "evt_2", "type": "setup_intent.succeeded", "data": []}',
    b'{"id": "evt_3", "type": "setup_intent.succeeded", "data": {"object": "x"}}',
    b'{"id": "evt_4", "type": ["a"], "data": {"object": {}}}',
    b"not json at all", b"\xff\xfe",
])
def test_signed_webhooks_of_an_unexpected_shape_are_400(app, client, signed, body):
    response = signed(client, body)
    assert response.status_code == 400
    assert response.json["error"] == "malformed event"


@pytest.mark.parametrize("obj", [{"id": ["x"]}, {"id": {"a": 1}}, {"id": "\x00"},
                                 {"id": "dp_1", "payment_intent": 7, "amount": "lots"}])
@pytest.mark.parametrize("kind", ["setup_intent.succeeded", "payment_intent.succeeded",
                                  "charge.dispute.created", "unknown.event"])
def test_signed_well_shaped_webhooks_with_odd_objects_are_handled(app, client, signed, kind,
                                                                  obj):
    body = json.dumps({"id": f"evt_{kind}_{len(str(obj))}_{id(obj)}", "type": kind,
                       "data": {"object": obj}}).encode()
    response = signed(client, body)
    assert response.status_code == 200


class _Forms(HTMLParser):
    """The POST forms of a page: action and the fields with the values the page gives them
    (the first option of a select, the first of a radio group)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._form: dict[str, str] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {}
            self.forms.append((a.get("action") or "", self._form))
        if self._form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input" and a.get("type") not in ("submit", "button", "file", "image"):
            if a.get("type") in ("radio", "checkbox") and name in self._form:
                return
            self._form[name] = a.get("value") or ("y" if a.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select = name
        elif tag == "textarea":
            self._textarea = name
            self._form[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form[self._textarea] += data

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


class _FormsWithOptions(_Forms):
    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        a = dict(attrs)
        if tag == "option" and self._form is not None and self._select:
            self._form.setdefault(self._select, a.get("value") or "")


def _page_forms(client, url: str) -> list[tuple[str, dict[str, str]]]:
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.content_type:
        return []
    parser = _FormsWithOptions()
    parser.feed(response.get_data(as_text=True))
    return [(action or url, {k: v if v.strip() else _plausible(k) for k, v in fields.items()})
            for action, fields in parser.forms if action.startswith("/") or not action]


def _plausible(name: str) -> str:
    """A well-formed value for an empty field, so that the one bad field is what is tried."""
    rules = [(("amount", "goal", "price", "minimum", "maximum", "income", "worth", "fee",
               "valuation", "cap", "elsewhere"), "100"), (("days", "quantity", "discount",
               "interest", "shares"), "10"), (("month", "expected", "delivery", "maturity"),
               "2027-06"), (("date", "_on", "_at", "deadline"), "2026-11-30"),
              (("email",), "someone@example.com"), (("url", "link"), "https://example.com/")]
    for words, value in rules:
        if any(word in name for word in words):
            return value
    return "A reasonable value, long enough for any minimum length here."


@pytest.mark.parametrize("who", ["operator", "founder", "backer"])
def test_every_field_of_every_form_on_every_page_one_bad_value_at_a_time(app, client, auth,
                                                                        world, who):
    """Each form as its page renders it, with one field at a time replaced by a hostile
    value and the others as the page filled them: the deep paths (a reply's parent id, a
    refund's amount, a title that reaches an email header) are reached, and none 5xx."""
    auth.login_as(world[who])
    forms = {}
    for _endpoint, method, url in _good_urls(app, world):
        if method == "GET" and not url.startswith(("/logout", "/uploads/")):
            for action, fields in _page_forms(client, url):
                forms.setdefault((action, tuple(sorted(fields))), fields)
    assert len(forms) >= (5 if who == "backer" else 10)
    requests = []
    for (action, _names), fields in forms.items():
        if action in ("/logout",):
            continue
        for name, value in fields.items():
            if name == "csrf_token":
                continue
            dates = BAD_DATES if re.fullmatch(r"\d{4}-\d{2}(-\d{2})?(T.*)?", value) else []
            for bad in [*BAD_VALUES[:5], *dates]:
                requests.append((action, "POST", action, {**fields, name: bad}))
    assert _sweep(client, requests) == []


def test_a_reply_to_a_parent_past_the_integer_range_is_a_field_error(app, client, auth,
                                                                    world):
    auth.login_as(world["backer"])
    for parent in (str(2**31), str(2**63), "-1", "1e3", "\x00"):
        response = client.post(f"/campaigns/{world['slug']}/comments",
                               data={"body": "A fair question", "kind": "comment",
                                     "parent_id": parent})
        assert response.status_code == 400, parent


def test_a_refund_of_only_spaces_is_refused_not_a_500(app, client, auth, world):
    pledge, live = world["pledge_id"], world["campaigns"][1]
    for who, url in (("operator", f"/operators/pledges/{pledge}/refund"),
                     ("founder", f"/studio/{live}/pledges/{pledge}/refund")):
        auth.login_as(world[who])
        for amount in ("   ", "\t", ""):
            response = client.post(url, data={"amount": amount, "reason": "Asked"},
                                   follow_redirects=True)
            assert response.status_code < 500, (who, amount)
            assert "Enter an amount." in response.get_data(as_text=True), (who, amount)
        auth.logout()
