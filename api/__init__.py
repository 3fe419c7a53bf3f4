"""JSON API, version 1: the catalog, the department exchange, payment providers' notices."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from . import exchange, openapi, payments, routes  # noqa: E402,F401
