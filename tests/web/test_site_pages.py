"""The site's own pages: linked from every page's footer, the fees page shows the real fee
settings, the privacy page says what is kept and for how long."""

from __future__ import annotations

import pytest

PAGES = {"/help": "When is my card charged?", "/fees": "Platform fee",
         "/terms": "All or nothing", "/privacy": "How long", "/contact": "Write to"}


@pytest.mark.parametrize(("path", "text"), PAGES.items())
def test_each_page_is_there_and_linked_from_every_footer(client, path, text):
    page = client.get(path).get_data(as_text=True)
    assert text in page
    for other in PAGES:
        assert f'href="{other}"' in page.split('class="site-footer"')[1]


def test_fees_follow_the_settings(app, client):
    page = client.get("/fees").get_data(as_text=True)
    assert "5.0% of each collected charge" in page and "3.0% + $0.20 per charge" in page
    # $100.00 charged: $5.00 platform, $3.20 processing, $91.80 to the founder.
    assert "$100.00</td><td class=\"num\">$5.00</td><td class=\"num\">$3.20</td>" \
        "<td class=\"num\">$91.80" in page
    app.config["PLATFORM_FEE_BPS"] = 400
    try:
        assert "4.0% of each collected charge" in client.get("/fees").get_data(as_text=True)
    finally:
        app.config["PLATFORM_FEE_BPS"] = 500


def test_privacy_says_how_long_from_the_settings(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "90 days after a session ends" in page and "24 hours" in page
    assert "60 minutes" in page and "Card numbers never reach our servers" in page
    assert "30 days after the operator's decision, then deleted" in page
    assert ("90 days after the founder marks your reward delivered, and 1,095 days after the "
            "deadline at the latest") in page


def test_development_mail_is_readable_there_only(app, client, session):
    from crowdfund.notifications.outbox import Email, queue

    queue("test", "dev-mail-1", "someone@example.com", "Someone",
          Email(subject="Confirm your email address", greeting="Hello", paragraphs=["Hi"]),
          recipient_id=None)
    session.commit()
    assert client.get("/dev/mail").status_code == 404  # testing: no
    app.config["ENV_NAME"] = "development"
    try:
        page = client.get("/dev/mail").get_data(as_text=True)
        assert "Confirm your email address" in page and "someone@example.com" in page
        assert "Read it here" in client.get("/register/sent").get_data(as_text=True)
        app.config["SMTP_HOST"] = "smtp.example.com"  # real mail: no page
        assert client.get("/dev/mail").status_code == 404
    finally:
        app.config.update(ENV_NAME="testing", SMTP_HOST=None)
