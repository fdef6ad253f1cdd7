"""A reward's picture (on its card on the campaign page) or an add-on's (on the pledge
form): stored through the uploads storage like the cover (checked by content, re-encoded
without metadata). It can change while rewards can (drafts and live campaigns), even on
a reward with backers: it shows the reward, it does not change what was promised.
Services never commit."""

from __future__ import annotations

from crowdfund.auth.models import User
from crowdfund.campaigns.access import require_founder
from crowdfund.campaigns.add_on_models import AddOn
from crowdfund.campaigns.models import Campaign, RewardTier
from crowdfund.campaigns.services import require_editable


def require_images_editable(campaign: Campaign, actor: User) -> None:
    """Checked before the file is stored, so a refused change stores nothing."""
    require_founder(campaign, actor)
    if not (campaign.is_editable or campaign.is_live):
        require_editable(campaign)


def set_image(item: RewardTier | AddOn, actor: User, key: str | None) -> str | None:
    """Use the stored image ``key`` (None: no image) for a tier or an add-on; returns the
    old key, to delete after the commit (``uploads.delete_upload``)."""
    require_images_editable(item.campaign, actor)
    old, item.image_path = item.image_path, key
    return old
