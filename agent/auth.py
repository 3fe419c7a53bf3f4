"""Signing in and out: the account the township administrator created, bound to one village."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user

from extensions import limiter
from services import audit
from services.people.agents import authenticate
from web.access import SIGNIN_FLOOD, change_own_password, password_login, sign_out
from web.inputs import Parsed

from . import bp


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", **SIGNIN_FLOOD)
def login():
    return password_login(authenticate, "agent", "/agent", "agent.home", "agent/login.html")


@bp.post("/logout")
def logout():
    audit.record("agent", current_user.id, current_user.name, "logout", ip=request.remote_addr or "")
    sign_out()
    return redirect(url_for("agent.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
def password():
    """The agent's own password: first of all after an administrator chose it (guard.py sends
    them here), and whenever they like; every other session of theirs ends."""
    form, changed, first = Parsed(values={"current": "", "password": ""}), False, current_user.must_change_password
    if request.method == "POST":
        refused = change_own_password("agent")
        if refused is None and first:
            return redirect(url_for("agent.home"), code=303)
        form, changed = (form, True) if refused is None else (refused, False)
    return render_template("agent/password.html", form=form, changed=changed, first=first), form.status
