"""Our books against the gateway's (docs/money.md#reconciliation-with-the-gateway).

``flask ledger check`` compares the ledger with our own rows; this compares our rows and
ledger with what the gateway itself recorded for a period: its PaymentIntents, charges,
refunds, Connect transfers and balance transactions, read page by page under the rate
budget (``fetch``), matched to our charge attempts, refunds and payouts (``matcher``).
Each difference is recorded once (``differences``) and stays open until an operator
resolves it with a reason; the gateway's actual processing fee replaces our estimate in
the ledger (``crowdfund.ledger.fees``). ``run`` puts it together for the daily job and
``flask ledger reconcile`` (``cli``).
"""
