"""Imports every module that defines tables, so migrations and the app see all of them."""
from . import case_numbers, cases, drafts, feedback, identity, materials, outbox, places, signin, sms, workdays  # noqa: F401
