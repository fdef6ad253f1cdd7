"""``flask pledges ...``: housekeeping jobs."""

from __future__ import annotations

import click

from crowdfund.extensions import db
from crowdfund.i18n import ngettext
from crowdfund.pledges import services
from crowdfund.pledges.routes import bp


@bp.cli.command("release-abandoned")
def release_abandoned() -> None:
    """Cancel pending pledges whose card was never confirmed, freeing reward units."""
    count = services.release_abandoned()
    db.session.commit()
    click.echo(ngettext("released %(num)s abandoned pledge", "released %(num)s abandoned pledges",
                        count))
