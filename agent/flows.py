"""The flows an agent does for a resident: the phone's own views over the same services,
under /agent/r/<consent>/, in the agent's layout. web.access.applicant() is the resident and
current_actor() the agent acting under that consent (agent.guard has checked it)."""
from pwa import apply
from pwa.flows import mount

from . import bp

mount(bp, [
    ("/apply/<code>", apply.apply_form, ["GET", "POST"]),
    ("/cases/<number>/receipt", apply.receipt, ["GET"]),
], prefix="/r/<int:mandate_id>")
