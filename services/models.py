"""Imports every module that defines tables, so migrations and the app see all of them."""
from . import (appointments, attempts, audit, case_numbers, cases, department_api, drafts, feedback,  # noqa: F401
               identity, logistics, materials, outbox, payments, places, signin, sms, staff, workdays)
