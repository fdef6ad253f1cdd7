"""Equity crowdfunding: offerings, investor protection, allocation and the cap table."""
