"""A saved card is named by its network on the pledge page and the fix page ("JCB",
"American Express"), and as a card ("Card ending in 4242", "银行卡（尾号4242）") when the
gateway gives no brand we know: never "Unknown ending in", "None ending in" or "Jcb" (the
review of every page read in Chinese, issue 26)."""

import pytest

from crowdfund.campaigns.states import CampaignStatus
from crowdfund.extensions import db
from tests.factories import back, ended, make_campaign, make_user, pledge_of

#: The gateway's brand code -> what the pages say, in English and in Chinese.
BRANDS = {
    "jcb": ("JCB ending in ", "JCB（尾号"),
    "amex": ("American Express ending in ", "American Express（尾号"),
    "unknown": ("Card ending in ", "银行卡（尾号"),
    "card": ("Card ending in ", "银行卡（尾号"),
    None: ("Card ending in ", "银行卡（尾号"),
}
WRONG = ("Unknown", "Jcb", "Amex", "Card ending in 4", "None ending")


@pytest.fixture
def declined(app, session, gw, settler):
    """A pledge whose charge was declined at the deadline (it has a fix page)."""
    campaign = make_campaign(make_user(verified=True), status=CampaignStatus.LIVE, tiers=0,
                             goal_minor=1_000)
    ok, declines = back(campaign, gw, "ok", "50"), back(campaign, gw, "declines", "40")
    ended(campaign)
    session.commit()
    settler.settle(campaign.id)
    assert pledge_of(ok).card_last4 and pledge_of(declines).needs_payment
    return declines


@pytest.mark.parametrize("brand", list(BRANDS))
@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_card_is_named_by_its_network(client, auth, session, declined, brand, locale):
    pledge = pledge_of(declined)
    pledge.card_brand = brand
    pledge.backer.locale = locale
    last4 = pledge.card_last4
    db.session.commit()
    auth.login_as(pledge.backer)
    named = BRANDS[brand][0 if locale == "en" else 1] + last4
    for url in (f"/pledges/{declined}", f"/pledges/{declined}/pay"):
        page = client.get(url).get_data(as_text=True)
        assert named in page, url
        wrong = [word for word in WRONG if word in page and not named.startswith(word)]
        assert wrong == [], url
