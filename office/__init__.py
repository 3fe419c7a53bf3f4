"""The staff console: window and department staff handle cases; administrators run the system."""
from flask import Blueprint

bp = Blueprint("office", __name__)

from . import (  # noqa: E402,F401,E501
    admin,
    agents,
    api_keys,
    bookings,
    handover,
    kiosks,
    people,
    ratings,
    reconciliation,
    routes,
    security,
    supervision,
    webhooks,
)
