"""The site's own pages, linked from every footer: terms, privacy (what is stored and for
how long, from the settings that decide it), fees (the real fee settings, with worked
examples), help and contact."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from crowdfund import i18n
from crowdfund.filters import duration
from crowdfund.ledger.services import fees_for
from crowdfund.main import bp
from crowdfund.money import Money
from crowdfund.web import is_safe_next


@bp.get("/terms")
def terms():
    return render_template("site/terms.html")


@bp.get("/privacy")
def privacy():
    cfg = current_app.config
    return render_template(
        "site/privacy.html", session_keep=duration(cfg["SESSION_KEEP"]),
        login_window=int(cfg["LOGIN_WINDOW"].total_seconds() // 60),
        verify_for=int(cfg["EMAIL_VERIFY_VALID_FOR"].total_seconds() // 3600),
        reset_for=int(cfg["PASSWORD_RESET_VALID_FOR"].total_seconds() // 60),
        document_kept=duration(cfg["IDENTITY_DOCUMENT_RETENTION"]),
        address_kept=duration(cfg["FULFILMENT_ADDRESS_RETENTION"]),
        address_most=duration(cfg["FULFILMENT_ADDRESS_MAX_RETENTION"]))


@bp.get("/fees")
def fees():
    cfg = current_app.config
    examples = [(amount, fees_for(amount)) for amount in
                (Money(500, "USD"), Money(2_500, "USD"), Money(10_000, "USD"),
                 Money(100_000, "USD"))]
    return render_template(
        "site/fees.html", examples=examples,
        platform=cfg["PLATFORM_FEE_BPS"] / 100, processing=cfg["PROCESSING_FEE_BPS"] / 100,
        fixed=Money(cfg["PROCESSING_FEE_FIXED_MINOR"], "USD"),
        small_below=Money(cfg["SMALL_CHARGE_BELOW_MINOR"], "USD"),
        small=cfg["SMALL_PROCESSING_FEE_BPS"] / 100,
        small_fixed=Money(cfg["SMALL_PROCESSING_FEE_FIXED_MINOR"], "USD"),
        payout_days=cfg["PAYOUT_DELAY"].days, collection_days=cfg["COLLECTION_WINDOW"].days)


@bp.get("/help")
def help_page():
    cfg = current_app.config
    return render_template("site/help.html", collection_days=cfg["COLLECTION_WINDOW"].days)


@bp.get("/contact")
def contact():
    return render_template("site/contact.html",
                           support=current_app.config["SUPPORT_EMAIL"])


@bp.get("/language/<code>")
def choose_language(code: str):
    """The footer's language switch for a visitor who is not signed in: a cookie, then back
    to the page (a signed-in person's choice is saved on their account: the footer posts
    it to ``auth.choose_language``). An unknown code changes nothing."""
    found = i18n.supported(code)
    target = request.args.get("next")
    response = redirect(target if is_safe_next(target) else url_for("main.index"))
    if found:
        response.set_cookie(i18n.LANGUAGE_COOKIE, found, max_age=365 * 24 * 3600,
                            samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
