"""The studio's offering terms page: saved terms, errors next to their fields, nothing
half-written."""

import sqlalchemy as sa

from crowdfund.campaigns.states import CampaignKind, CampaignStatus
from crowdfund.equity.models import Offering
from tests.factories import make_campaign

GOOD = {"issuer_legal_name": "Tidewater Instruments Inc.", "issuer_jurisdiction": "US",
        "incorporated_on": "2021-03-01", "security": "common_stock", "price_per_share": "1.25",
        "pre_money_valuation": "4,000,000", "maximum": "250,000", "minimum_investment": "100",
        "allocation": "pro_rata",
        "use_of_proceeds_md": "Tooling, the first production run and two hires."}


def _count(session):
    return session.scalar(sa.select(sa.func.count()).select_from(Offering))


def test_founder_saves_terms(app, client, auth, session):
    campaign = make_campaign(kind=CampaignKind.EQUITY, goal_minor=100_000_00, tiers=0)
    session.commit()
    auth.login_as(campaign.founder)
    page = client.get(f"/studio/{campaign.id}/offering").get_data(as_text=True)
    assert "Offering terms" in page and "reviewed by an independent public accountant" in page
    response = client.post(f"/studio/{campaign.id}/offering", data=GOOD)
    assert response.status_code == 302
    session.expire_all()
    offering = session.scalar(sa.select(Offering))
    assert offering.price_per_share_minor == 125 and offering.maximum_minor == 250_000_00
    page = client.get(f"/studio/{campaign.id}/offering").get_data(as_text=True)
    assert 'value="1.25"' in page and "Tidewater Instruments Inc." in page
    preview = client.get(f"/studio/{campaign.id}/preview").get_data(as_text=True)
    assert "Offering terms" in preview and "$1.25" in preview and "200,000 shares" in preview
    assert "Pro rata" not in preview and "pro rata" in preview


def test_bad_input_gets_errors_next_to_fields_and_writes_nothing(app, client, auth, session):
    campaign = make_campaign(kind=CampaignKind.EQUITY, goal_minor=100_000_00, tiers=0)
    session.commit()
    auth.login_as(campaign.founder)
    cases = [
        ({"price_per_share": "-1"}, "cannot be negative"),
        ({"price_per_share": "1.255"}, "decimal"),
        ({"maximum": "50,000"}, "cannot be below the target"),
        ({"minimum_investment": "300,000"}, "above the maximum"),
        ({"discount": "ten", "security": "safe"}, "Enter a percentage"),
        ({"incorporated_on": "yesterday"}, "Not a valid date"),
        ({"security": "gold"}, "Not a valid choice"),
    ]
    for changes, message in cases:
        response = client.post(f"/studio/{campaign.id}/offering", data={**GOOD, **changes})
        assert response.status_code == 400, changes
        assert message in response.get_data(as_text=True), (changes, message)
    assert _count(session) == 0


def test_reward_campaigns_have_no_offering_page(app, client, auth, session):
    campaign = make_campaign(tiers=0)
    session.commit()
    auth.login_as(campaign.founder)
    assert client.get(f"/studio/{campaign.id}/offering").status_code == 404


def test_terms_are_read_only_in_review(app, client, auth, session):
    campaign = make_campaign(kind=CampaignKind.EQUITY, status=CampaignStatus.SUBMITTED,
                             goal_minor=100_000_00, tiers=0)
    session.commit()
    auth.login_as(campaign.founder)
    page = client.get(f"/studio/{campaign.id}/offering").get_data(as_text=True)
    assert "Save terms" not in page
    assert client.post(f"/studio/{campaign.id}/offering", data=GOOD).status_code == 400
    assert _count(session) == 0


PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def test_documents_are_pdfs_and_readiness_needs_the_statements(app, client, auth, session):
    import io

    from crowdfund.campaigns import services as campaigns
    from crowdfund.equity.models import OfferingDocument

    campaign = make_campaign(kind=CampaignKind.EQUITY, goal_minor=100_000_00, tiers=0)
    session.commit()
    auth.login_as(campaign.founder)
    upload = {"kind": "financial_statements", "title": "Statements 2025"}
    response = client.post(f"/studio/{campaign.id}/offering/documents",
                           data={**upload, "document": (io.BytesIO(PDF), "s.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Save the offering terms first" in response.get_data(as_text=True)
    client.post(f"/studio/{campaign.id}/offering", data=GOOD)
    response = client.post(f"/studio/{campaign.id}/offering/documents",
                           data={**upload, "document": (io.BytesIO(b"GIF89a not a pdf"),
                                                        "fake.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "not a PDF document" in response.get_data(as_text=True)
    response = client.post(f"/studio/{campaign.id}/offering/documents",
                           data={**upload, "document": (io.BytesIO(PDF), "s.txt")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Upload a PDF document" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(OfferingDocument)) == 0
    session.expire_all()
    assert {i.label: i.done for i in campaigns.readiness(campaign)}["Financial statements"] \
        is False
    response = client.post(f"/studio/{campaign.id}/offering/documents",
                           data={**upload, "document": (io.BytesIO(PDF), "s.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Document added." in response.get_data(as_text=True)
    document = session.scalar(sa.select(OfferingDocument))
    served = client.get(f"/uploads/{document.path}")
    assert served.data == PDF and served.headers["Content-Disposition"].startswith("attachment")
    session.expire_all()
    readiness = {i.label: i.done for i in campaigns.readiness(campaign)}
    assert [label for label, done in readiness.items() if not done] == [
        "Your identity verified"]
    from crowdfund.auth.models import IdentityVerification, VerificationStatus

    session.add(IdentityVerification(user=campaign.founder,
                                     status=VerificationStatus.VERIFIED))
    session.commit()
    session.expire_all()
    assert all(i.done for i in campaigns.readiness(campaign))
    preview = client.get(f"/studio/{campaign.id}/preview").get_data(as_text=True)
    assert "Statements 2025" in preview
    assert client.post(f"/studio/{campaign.id}/submit").status_code == 302
    session.expire_all()
    assert session.get(type(campaign), campaign.id).status is CampaignStatus.SUBMITTED
