"""A campaign's FAQ: the founder writes it in the studio, backers read it on the campaign
page (crowdfund/campaigns/faq.py, crowdfund/studio/page_extras.py)."""

import re

import pytest

from crowdfund.campaigns import faq
from crowdfund.campaigns.faq import FaqEntry
from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.errors import DomainError, NotAllowed
from tests.factories import make_campaign, make_user


def _entries(session, campaign) -> list[tuple[str, str]]:
    session.expire_all()
    return [(e.question, e.answer_md) for e in faq.faq_of(campaign)]


def _add(client, campaign, question="Does it ship to Canada?", answer="Yes, **everywhere**."):
    return client.post(f"/studio/{campaign.id}/faq",
                       data={"question": question, "answer_md": answer})


def test_the_founder_adds_edits_reorders_and_removes_questions(client, session, draft):
    assert _add(client, draft).status_code == 302
    assert _add(client, draft, "When does it ship?", "In May.").status_code == 302
    first, second = faq.faq_of(draft)
    page = client.get(f"/studio/{draft.id}/faq").get_data(as_text=True)
    assert "Does it ship to Canada?" in page and "<strong>everywhere</strong>" in page
    moved = client.post(f"/studio/{draft.id}/faq/{second.id}/up")
    assert moved.status_code == 302
    assert [q for q, _ in _entries(session, draft)] == ["When does it ship?",
                                                        "Does it ship to Canada?"]
    edited = client.post(f"/studio/{draft.id}/faq/{first.id}",
                         data={"question": "Does it ship to Canada?", "answer_md": "No."})
    assert edited.status_code == 302 and ("Does it ship to Canada?", "No.") in _entries(
        session, draft)
    assert client.post(f"/studio/{draft.id}/faq/{second.id}/delete").status_code == 302
    assert _entries(session, draft) == [("Does it ship to Canada?", "No.")]


@pytest.mark.parametrize(("question", "answer", "field", "message"), [
    ("", "An answer", "question", "Write the question."),
    ("A question?", "", "answer_md", "Write the answer."),
    ("Q" * 201, "An answer", "question", "Field cannot be longer than 200 characters."),
    ("A question?", "A" * 5001, "answer_md", "Field cannot be longer than 5000 characters."),
])
def test_a_bad_entry_is_refused_next_to_its_field(client, session, draft, question, answer,
                                                   field, message):
    response = _add(client, draft, question, answer)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and session.query(FaqEntry).count() == 0
    error = re.search(rf'id="{field}-error".*?</div>', page, re.S)
    assert error and message in error[0]


def test_a_faq_holds_at_most_thirty_questions(app, client, session, draft):
    for n in range(faq.MAX_ENTRIES):
        faq.add_entry(draft, draft.founder, f"Question {n}?", "Answer.")
    session.commit()
    response = _add(client, draft)
    assert response.status_code == 400 and "at most 30 questions" in response.get_data(
        as_text=True)
    with pytest.raises(DomainError, match="A FAQ holds at most 30 questions"):
        faq.add_entry(draft, draft.founder, "One more?", "No.")
    session.rollback()
    assert session.query(FaqEntry).count() == faq.MAX_ENTRIES


def test_the_services_refuse_what_the_form_would(session, draft):
    with pytest.raises(DomainError, match="Write the question"):
        faq.add_entry(draft, draft.founder, "   ", "An answer.")
    with pytest.raises(DomainError, match="An answer can be at most 5000 characters"):
        faq.add_entry(draft, draft.founder, "Why?", "A" * 5001)
    with pytest.raises(NotAllowed, match="This is not your campaign"):
        faq.add_entry(draft, make_user(), "Why?", "Because.")


def test_another_founder_gets_404(client, session, auth, draft):
    entry = faq.add_entry(draft, draft.founder, "Why?", "Because.")
    other = make_user()
    session.commit()
    auth.logout()
    auth.login_as(other)
    assert client.get(f"/studio/{draft.id}/faq").status_code == 404
    assert _add(client, draft).status_code == 404
    assert client.post(f"/studio/{draft.id}/faq/{entry.id}",
                       data={"question": "Mine?", "answer_md": "Now."}).status_code == 404
    assert client.post(f"/studio/{draft.id}/faq/{entry.id}/delete").status_code == 404
    assert client.post(f"/studio/{draft.id}/faq/{entry.id}/down").status_code == 404
    assert _entries(session, draft) == [("Why?", "Because.")]


def test_an_entry_of_another_campaign_is_404(client, session, founder, draft):
    theirs = make_campaign()
    entry = faq.add_entry(theirs, theirs.founder, "Why?", "Because.")
    session.commit()
    assert client.post(f"/studio/{draft.id}/faq/{entry.id}/delete").status_code == 404


def test_posting_without_the_csrf_token_is_refused(app, client, session, draft):
    app.config["WTF_CSRF_ENABLED"] = True  # the suite's cleanup turns it off again
    assert _add(client, draft).status_code == 400
    assert session.query(FaqEntry).count() == 0


@pytest.mark.parametrize("kind", [CampaignKind.REWARD, CampaignKind.EQUITY])
def test_the_faq_changes_after_launch_and_shows_on_the_page(client, session, founder, kind):
    campaign = make_campaign(founder, status=CampaignStatus.LIVE, kind=kind)
    session.commit()
    assert _add(client, campaign, "Is <b>it</b> safe?",
                "Yes.<script>alert(1)</script> [more](https://example.com)").status_code == 302
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    section = page.split('id="faq"')[1].split("</section>")[0]
    assert "Is &lt;b&gt;it&lt;/b&gt; safe?" in section and "<script>" not in section
    assert 'href="https://example.com"' in section


def test_the_faq_is_closed_while_in_review(client, session, founder):
    campaign = make_campaign(founder, status=CampaignStatus.SUBMITTED)
    session.commit()
    response = _add(client, campaign)
    assert response.status_code == 400 and session.query(FaqEntry).count() == 0
    assert "withdraw it from review" in response.get_data(as_text=True)
    with pytest.raises(DomainError, match="withdraw it from review"):
        faq.add_entry(campaign, founder, "Why?", "Because.")


def test_a_page_without_questions_has_no_faq_section(client, session):
    campaign = make_campaign(status=CampaignStatus.LIVE)
    session.commit()
    assert 'id="faq"' not in client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
