"""The founder's studio for a campaign: drafts and its story, rewards and budget, the FAQ
and reward pictures (``page_extras.py``), backers.
Its pages are on the ``studio`` blueprint (``campaigns.studio_bp``); the features add
their own: the offering (``equity/studio.py``), updates, insights and delivery
(``community/studio.py``), payouts (``settlement/studio.py``)."""
