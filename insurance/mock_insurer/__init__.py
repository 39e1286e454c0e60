"""The mock insurer: a real service of its own that stands in for the national platform.

`service.MockInsurer` answers envelopes (one mixin per concern); `server` runs it as its own
process (`python -m insurance.mock_insurer.server --port 5001`); `pages` is the patient's
authorisation page. This package file imports nothing, so that no module here depends on it.
"""
