"""JSON API, version 1: the catalog now; the department exchange later."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from . import exchange, payments, routes  # noqa: E402,F401
