"""The villager's phone front end: browse, guides, search, sign-in, apply, my cases, track, book, pay."""
from flask import Blueprint

bp = Blueprint("pwa", __name__)

from . import agents, apply, auth, booking, my_data, organisations, pay, phone_upload, province, public, query, ratings, routes, track  # noqa: E402,F401,I001  (routes attach to bp)
