"""The factory refuses to start without the secrets it needs; cookies are safe by default."""

import pytest

from crowdfund import content_security_policy, create_app
from crowdfund.config import ConfigError, normalise_database_url


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "DATABASE_URL", "CROWDFUND_ENV", "SESSION_COOKIE_SECURE",
                 "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET",
                 "STRIPE_API_BASE", "STRIPE_JS_URL", "PAYMENT_GATEWAY", "SANDBOX_DEPLOYMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_production_refuses_to_start_without_secret_key(clean_env):
    clean_env.setenv("CROWDFUND_ENV", "production")
    clean_env.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_unset_environment_means_production(clean_env):
    clean_env.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_to_start_without_database(clean_env):
    clean_env.setenv("CROWDFUND_ENV", "production")
    clean_env.setenv("SECRET_KEY", "x" * 40)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        create_app()


def test_unknown_environment_is_an_error(clean_env):
    clean_env.setenv("CROWDFUND_ENV", "staging-ish")
    with pytest.raises(ConfigError, match="CROWDFUND_ENV"):
        create_app()


def test_production_with_secrets_has_secure_cookies(clean_env):
    clean_env.setenv("CROWDFUND_ENV", "production")
    clean_env.setenv("SECRET_KEY", "x" * 40)
    clean_env.setenv("DATABASE_URL", "postgresql://u@localhost/db")
    with pytest.raises(ConfigError, match="STRIPE_SECRET_KEY"):
        create_app()
    clean_env.setenv("STRIPE_SECRET_KEY", "sk_live_x")
    clean_env.setenv("STRIPE_PUBLISHABLE_KEY", "pk_live_x")
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        create_app()
    clean_env.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    app = create_app()
    assert app.config["STRIPE_API_BASE"] is None
    assert app.config["STRIPE_JS_URL"] == "https://js.stripe.com/v3/"
    policy = content_security_policy(app.config["STRIPE_JS_URL"], app.config["STRIPE_API_BASE"])
    assert "script-src 'self' https://js.stripe.com;" in policy
    assert "connect-src 'self' https://api.stripe.com https://js.stripe.com;" in policy
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@localhost/db"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["WTF_CSRF_ENABLED"] is True


def test_development_makes_and_keeps_a_secret_key(clean_env, tmp_path):
    clean_env.setenv("CROWDFUND_ENV", "development")
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert first.config["SECRET_KEY"] and first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("url", "expected"),
    [("postgres://a@b/c", "postgresql+psycopg://a@b/c"),
     ("postgresql://a@b/c", "postgresql+psycopg://a@b/c"),
     ("postgresql+psycopg://a@b/c", "postgresql+psycopg://a@b/c"),
     ("sqlite:///x.db", "sqlite:///x.db")],
)
def test_database_url_normalised(url, expected):
    assert normalise_database_url(url) == expected


def test_sandbox_policy_allows_only_the_sandbox(clean_env):
    clean_env.setenv("CROWDFUND_ENV", "development")
    clean_env.setenv("STRIPE_API_BASE", "http://127.0.0.1:9999")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["STRIPE_JS_URL"] == "http://127.0.0.1:9999/js.stripe.com/v3/"
    assert app.config["STRIPE_MAX_NETWORK_RETRIES"] == 0
    policy = content_security_policy(app.config["STRIPE_JS_URL"], app.config["STRIPE_API_BASE"])
    assert "script-src 'self' http://127.0.0.1:9999;" in policy
    assert "stripe.com" not in policy


def _production_on_the_sandbox(env) -> None:
    for name, value in {"CROWDFUND_ENV": "production", "SECRET_KEY": "x" * 40,
                        "DATABASE_URL": "postgresql://u@localhost/db",
                        "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_PUBLISHABLE_KEY": "pk_test_x",
                        "STRIPE_WEBHOOK_SECRET": "whsec_x",
                        "STRIPE_API_BASE": "http://sandbox.internal:8420"}.items():
        env.setenv(name, value)


def test_production_refuses_a_plain_http_stripe_address(clean_env):
    _production_on_the_sandbox(clean_env)
    with pytest.raises(ConfigError, match=r"STRIPE_API_BASE='http://sandbox.internal:8420' is "
                                          r"not an https:// address.*SANDBOX_DEPLOYMENT=1"):
        create_app()
    clean_env.delenv("STRIPE_API_BASE")
    clean_env.setenv("STRIPE_JS_URL", "http://sandbox.internal:8420/js.stripe.com/v3/")
    with pytest.raises(ConfigError, match=r"STRIPE_JS_URL='http://sandbox.internal:8420/js"):
        create_app()
    clean_env.setenv("SANDBOX_DEPLOYMENT", "0")
    with pytest.raises(ConfigError, match="STRIPE_JS_URL='http://"):
        create_app()


def test_production_on_the_sandbox_starts_when_told_so(clean_env):
    _production_on_the_sandbox(clean_env)
    clean_env.setenv("SANDBOX_DEPLOYMENT", "1")
    app = create_app()
    assert app.config["SANDBOX_DEPLOYMENT"] is True
    assert app.config["STRIPE_JS_URL"] == "http://sandbox.internal:8420/js.stripe.com/v3/"


def test_production_on_stripe_over_https_needs_no_flag(clean_env):
    _production_on_the_sandbox(clean_env)
    clean_env.setenv("STRIPE_API_BASE", "https://stripe-proxy.internal")
    app = create_app()
    assert app.config["SANDBOX_DEPLOYMENT"] is False
