"""What an administrator hands a member or an agent in person (two_factor.Handover): an
enrolment code, a temporary password. Its printable page shows the same again on a refresh —
a refresh never makes a new code — until 已交给本人, for 30 minutes at most. Meanwhile it is kept
sealed in the administrator's own session (a signed cookie: signed, not secret), never in clear."""
import binascii
import json
from datetime import datetime

from flask import redirect, render_template, request, session, url_for

from services.clock import utcnow
from services.people import agents, staff
from services.people.two_factor import Handover
from services.sealing import open_sealed, seal
from web.access import staff_required
from web.security import no_store

from . import bp

HELD, HELD_FOR, PURPOSE = "handover", 1800, "session.handover"  # the session's key, seconds, sealed for
# By kind of account: how to find it, what the page calls it, its sign-in page, the list to go back to.
KINDS = {"staff": (staff.get_account, "工作人员账号", "office.login", "office.accounts", "账号列表"),
         "agent": (agents.get_agent, "村代办员账号", "agent.login", "office.agent_list", "代办员列表")}


def hand_over(handover: Handover, new: bool = False):
    """Keep it for its page and go there: the page is a GET, which a refresh does again."""
    held = {"kind": handover.user.account_kind, "id": handover.user.id, "code": handover.enrolment_code,
            "until": handover.until.isoformat() if handover.until else None, "password": handover.password,
            "new": new, "at": utcnow().timestamp()}
    session[HELD] = seal(json.dumps(held), PURPOSE)
    return redirect(url_for("office.handover"), code=303)


def _held() -> dict | None:
    try:
        held = json.loads(open_sealed(session[HELD], PURPOSE)) if HELD in session else None
    except (ValueError, binascii.Error):  # not ours (Tampered is a ValueError): nothing held
        held = None
    if not isinstance(held, dict) or held.get("kind") not in KINDS or utcnow().timestamp() - held["at"] > HELD_FOR:
        session.pop(HELD, None)
        return None
    return held


@bp.get("/handover")
@staff_required("admin", "town_admin")
def handover():
    held = _held()
    if held is None:
        return no_store(render_template("office/handover_gone.html"))
    find, account, login, back, back_label = KINDS[held["kind"]]
    until = datetime.fromisoformat(held["until"]) if held["until"] else None
    shown = Handover(find(held["id"]), held["code"], until, held["password"])
    return no_store(render_template("office/handover.html", handover=shown, new=held["new"], account=account,
                                    login=login, back=back, back_label=back_label))


@bp.post("/handover/done")
@staff_required("admin", "town_admin")
def handover_done():
    """Handed over: nothing held any more; back to the list the page named (its form's kind)."""
    session.pop(HELD, None)
    return redirect(url_for(KINDS.get(request.form.get("kind"), KINDS["staff"])[3]), code=303)
