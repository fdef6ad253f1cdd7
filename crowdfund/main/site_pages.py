"""The site's own pages, linked from every footer: terms, privacy (what is stored and for
how long, from the settings that decide it), fees (the real fee settings, with worked
examples), help and contact."""

from __future__ import annotations

from flask import current_app, render_template

from crowdfund.filters import duration
from crowdfund.ledger.services import fees_for
from crowdfund.main import bp
from crowdfund.money import Money


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
        document_kept=duration(cfg["IDENTITY_DOCUMENT_RETENTION"]))


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
