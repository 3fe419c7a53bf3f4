"""Imports every module that defines tables, so migrations and the app see all of them."""
from . import (appointments, audit, case_numbers, cases, department_api, drafts, payments, feedback, identity, materials, outbox, places,  # noqa: F401
               signin, sms, staff, workdays)
