"""The money ledger: double-entry, one balanced transaction per money event.

The blueprint (``flask ledger check``) lives in ``cli.py``, imported by the app factory.
"""
