"""The staff console: window and department staff handle cases; administrators run the system."""
from flask import Blueprint

bp = Blueprint("office", __name__)

from . import admin, agents, api_keys, bookings, kiosks, people, ratings, reconciliation, routes, supervision, webhooks  # noqa: E402,F401,E501
