"""Imports every module that defines tables, so migrations and the app see all of them."""
from . import case_numbers, cases, feedback, identity, outbox, places, signin, sms, workdays  # noqa: F401
