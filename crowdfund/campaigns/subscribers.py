"""What campaigns tell the rest of the platform: which stored uploads a campaign uses."""

from __future__ import annotations

import sqlalchemy as sa

from crowdfund.campaigns import privacy as campaigns_privacy
from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.extensions import db
from crowdfund.uploads import referenced_by


def register() -> None:
    campaigns_privacy.register()
    referenced_by("campaign covers", _used_as_cover)
    referenced_by("reward images", _used_as_reward_image)


def _used_as_cover(key: str) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(Campaign.cover_path == key)))


def _used_as_reward_image(key: str) -> bool:
    return db.session.scalar(sa.select(sa.or_(
        sa.exists().where(RewardTier.image_path == key),
        sa.exists().where(AddOn.image_path == key))))
