"""Pledges: a backer's promise to a campaign, charged only if it succeeds.

The blueprint lives in ``routes.py`` (imported by the app factory), so that importing
``crowdfund.pledges.models`` from other packages does not pull the views in.
"""
