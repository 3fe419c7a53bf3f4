"""JSON API, version 1: the catalog, the department exchange, payment providers' notices, SMS receipts."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from . import exchange, logistics, openapi, payments, routes, sms  # noqa: E402,F401
