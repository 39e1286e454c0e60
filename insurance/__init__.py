"""Medical-insurance e-voucher: the gateway, the mock insurer, the settlement ledger, reconciliation.

Imports nothing from hospital/ or pharmacy/. The rest of the app uses `insurance.settlement`
(presettle, settle, reverse, …) with the plain dataclasses of `insurance.claims`.
"""
