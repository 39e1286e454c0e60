"""The regulator's feed: the hospital reports to the provincial supervision platform.

`models` (the outbox and the reconciliation results), `outbox` (events written in the domain's own
transaction), `reports` (what each report says), `sender` (drains the outbox), `reconcile` (daily
counts), `cli`, `pages`; `mock_platform/` is the platform itself, a service of its own.
"""
