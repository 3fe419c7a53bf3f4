"""The village agent's front end (村代办员): on a phone or a laptop at the village service
station. The agent signs in with the account the township gave them; each resident's consent
(委托) is in the URL of every page done for that resident (/agent/r/<consent>/…), checked on every
request, and those pages are the phone's own flows (services are the same; see agent.flows)."""
from flask import Blueprint

bp = Blueprint("agent", __name__, url_prefix="/agent")

from . import auth, consents, desk, flows, guard, papers  # noqa: E402,F401  (routes attach to bp)
