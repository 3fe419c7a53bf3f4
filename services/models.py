"""Imports every module that defines tables, so migrations and the app see all of them."""
from . import feedback, places, workdays  # noqa: F401
