"""Accounts: registration, sign-in, passwords, founder profiles and roles."""

from flask import Blueprint

bp = Blueprint("auth", __name__, cli_group="users")

from crowdfund.auth import cli, routes  # noqa: E402,F401  (register routes and commands)
