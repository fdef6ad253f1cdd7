"""recipients: mail and sign-in attempts carry the person's id (a person's archive and
closing select by it, never by an address); one hourly budget of account emails per
address, every kind together

Old rows get the person's id where it can be told for sure, else none (better no match
than another person's):

1. Mail, by its dedupe key, which names the person or a row whose person never changes:
   ``email-changed-<user>-…``, ``password-changed-<user>-…``, ``address-claimed-<user>-…``,
   ``…-user-<user>`` (updates and follows), ``pledge-<pledge>-…`` and
   ``campaign-…-pledge-<pledge>`` (its backer), ``refund-<refund>-issued`` (its pledge's
   backer), ``campaign-<campaign>-launched|approved|sent-back|outcome-founder|payout-paid``
   (its founder), ``comment-<answer>-answer`` (the asker), ``comment-<question>-question``
   (the founder), ``account-link-<link>`` (the link's person, only while the link row is
   the one the message named: same address, made before the message; on SQLite a closed
   account's link id could have been handed out again).
2. Other mail, and sign-in attempts, by address: the live account that has the address
   now, for rows made since that account was opened, when the account never asked for
   another address (every link it was sent names its current one: the address was its
   own all along). Rows of an address that changed hands stay without a person.

Mail whose person has closed their account since is erased now as closing erases it (it
was missed when it went to an earlier address of theirs).

Revision ID: d68b54739f86
Revises: 3b256ec654e6
Create Date: 2026-12-07 12:00:00.000000

"""
import re
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import crowdfund.db


# revision identifiers, used by Alembic.
revision = 'd68b54739f86'
down_revision = '3b256ec654e6'
branch_labels = None
depends_on = None

ERASED = "[Erased: the account was closed.]"
PAGE = 2000

#: (dedupe key pattern, what its number names).
KEYS = [
    (re.compile(r"^(?:email-changed|password-changed|address-claimed)-(\d+)-"), "user"),
    (re.compile(r"-user-(\d+)$"), "user"),
    (re.compile(r"^campaign-\d+-milestone-\d+-pledge-(\d+)$"), "pledge"),
    (re.compile(r"^pledge-(\d+)-"), "pledge"),
    (re.compile(r"^refund-(\d+)-issued$"), "refund"),
    (re.compile(r"^campaign-(\d+)-(?:launched$|approved-|sent-back-|outcome-founder$|"
                r"payout-paid$)"), "campaign"),
    (re.compile(r"^comment-(\d+)-answer$"), "answer"),
    (re.compile(r"^comment-(\d+)-question$"), "question"),
    (re.compile(r"^account-link-(\d+)$"), "link"),
]

#: For each kind of number: its person, as (number, user id) rows of ``:ids``.
PEOPLE = {
    "user": "SELECT id, id FROM users WHERE id IN :ids",
    "pledge": "SELECT id, backer_id FROM pledges WHERE id IN :ids",
    "refund": "SELECT r.id, p.backer_id FROM refunds r JOIN pledges p ON p.id = r.pledge_id "
              "WHERE r.id IN :ids",
    "campaign": "SELECT id, founder_id FROM campaigns WHERE id IN :ids",
    "answer": "SELECT a.id, q.author_id FROM comments a JOIN comments q ON q.id = a.parent_id "
              "WHERE a.id IN :ids",
    "question": "SELECT c.id, k.founder_id FROM comments c JOIN campaigns k "
                "ON k.id = c.campaign_id WHERE c.id IN :ids",
}

outbox = sa.table("outbox", sa.column("id", sa.Integer), sa.column("dedupe_key", sa.String),
                  sa.column("to_email", sa.String),
                  sa.column("created_at", crowdfund.db.UTCDateTime(timezone=True)),
                  sa.column("recipient_id", sa.Integer))
tokens = sa.table("account_tokens", sa.column("id", sa.Integer), sa.column("user_id", sa.Integer),
                  sa.column("email", sa.String),
                  sa.column("created_at", crowdfund.db.UTCDateTime(timezone=True)))


def upgrade():
    with op.batch_alter_table('outbox', schema=None,
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('recipient_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_recipient_id'), ['recipient_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_recipient_id_users'), 'users',
                                    ['recipient_id'], ['id'])
    with op.batch_alter_table('login_attempts', schema=None,
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_attempts_user_id'), ['user_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_login_attempts_user_id_users'), 'users',
                                    ['user_id'], ['id'])
    with op.batch_alter_table('account_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_account_requests_kind_email')
        batch_op.drop_index('ix_account_requests_kind_ip')
        batch_op.create_index('ix_account_requests_email_created', ['email', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_account_requests_ip_created', ['ip', 'created_at'],
                              unique=False)
    bind = op.get_bind()
    _mail_by_key(bind)
    _by_address(bind)
    _erase_mail_of_closed_accounts(bind)


def downgrade():
    with op.batch_alter_table('account_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_account_requests_ip_created')
        batch_op.drop_index('ix_account_requests_email_created')
        batch_op.create_index('ix_account_requests_kind_ip', ['kind', 'ip', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_account_requests_kind_email', ['kind', 'email', 'created_at'],
                              unique=False)
    with op.batch_alter_table('login_attempts', schema=None,
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_login_attempts_user_id_users'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_login_attempts_user_id'))
        batch_op.drop_column('user_id')
    with op.batch_alter_table('outbox', schema=None,
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_recipient_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_recipient_id'))
        batch_op.drop_column('recipient_id')


def _mail_by_key(bind) -> None:
    """Rule 1, a page of messages at a time."""
    after = 0
    while True:
        page = bind.execute(sa.select(outbox.c.id, outbox.c.dedupe_key, outbox.c.to_email,
                                      outbox.c.created_at)
                            .where(outbox.c.id > after).order_by(outbox.c.id).limit(PAGE)).all()
        if not page:
            return
        after = page[-1].id
        named = {}  # message id: (kind of number, number)
        for row in page:
            for pattern, kind in KEYS:
                found = pattern.search(row.dedupe_key)
                if found:
                    named[row.id] = (kind, int(found.group(1)))
                    break
        people = _people(bind, named.values())
        links = _links(bind, [n for k, n in named.values() if k == "link"])
        updates = []
        for row in page:
            kind, number = named.get(row.id, (None, None))
            if kind == "link":
                link = links.get(number)
                person = link.user_id if link is not None and link.email == row.to_email \
                    and link.created_at <= row.created_at else None
            else:
                person = people.get((kind, number))
            if person is not None:
                updates.append({"message": row.id, "person": person})
        if updates:
            bind.execute(sa.update(outbox).where(outbox.c.id == sa.bindparam("message"))
                         .values(recipient_id=sa.bindparam("person")), updates)


def _people(bind, named) -> dict:
    """{(kind, number): user id} for the numbers ``named``."""
    wanted: dict[str, set[int]] = {}
    for kind, number in named:
        if kind in PEOPLE:
            wanted.setdefault(kind, set()).add(number)
    found = {}
    for kind, numbers in wanted.items():
        query = sa.text(PEOPLE[kind]).bindparams(sa.bindparam("ids", expanding=True))
        for number, person in bind.execute(query, {"ids": sorted(numbers)}):
            found[(kind, number)] = person
    return found


def _links(bind, numbers: list[int]) -> dict:
    if not numbers:
        return {}
    return {row.id: row for row in bind.execute(
        sa.select(tokens.c.id, tokens.c.user_id, tokens.c.email, tokens.c.created_at)
        .where(tokens.c.id.in_(sorted(set(numbers)))))}


#: The live account that has had ``{address}`` since it was opened, for a row made since.
OWNER = """(SELECT u.id FROM users u
    WHERE {address} AND u.closed_at IS NULL AND u.created_at <= {table}.created_at
    AND NOT EXISTS (SELECT 1 FROM account_tokens t WHERE t.user_id = u.id
                    AND t.email <> u.email))"""


def _by_address(bind) -> None:
    """Rule 2, for mail no key told, and for sign-in attempts (password, and second
    factor: ``2fa:<address>``)."""
    bind.execute(sa.text(
        "UPDATE outbox SET recipient_id = "
        + OWNER.format(address="u.email = outbox.to_email", table="outbox")
        + " WHERE recipient_id IS NULL"))
    bind.execute(sa.text(
        "UPDATE login_attempts SET user_id = "
        + OWNER.format(address="(u.email = login_attempts.email OR "
                               "'2fa:' || u.email = login_attempts.email)",
                       table="login_attempts")
        + " WHERE user_id IS NULL"))


def _erase_mail_of_closed_accounts(bind) -> None:
    bind.execute(sa.text(
        "UPDATE outbox SET to_email = 'closed-' || recipient_id || '@closed.invalid', "
        "to_name = '', subject = :erased, text_body = :erased, html_body = :erased, "
        "unsubscribe_url = NULL, "
        "failed_at = CASE WHEN sent_at IS NULL THEN :now ELSE failed_at END "
        "WHERE recipient_id IN (SELECT id FROM users WHERE closed_at IS NOT NULL) "
        "AND subject <> :erased").bindparams(
            sa.bindparam("now", type_=crowdfund.db.UTCDateTime(timezone=True))),
        {"erased": ERASED, "now": datetime.now(UTC)})
