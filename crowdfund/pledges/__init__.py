"""Pledges: a backer's promise to a campaign, charged only if it succeeds."""
