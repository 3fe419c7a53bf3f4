"""Signing in and out: the account the township administrator created, bound to one village, in
two steps (the password, then the authenticator's code), as staff do; the agent's own password
and recovery codes."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user

from extensions import limiter
from services import audit
from services.people import two_factor
from services.people.agents import authenticate, get_agent
from web.access import SIGNIN_FLOOD, change_own_password, password_login, sign_out
from web.inputs import Parsed
from web.security import no_store
from web.two_step import renew_recovery_codes as renew_codes
from web.two_step import second_step_page

from . import bp


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", **SIGNIN_FLOOD)
def login():
    return password_login(authenticate, "agent", "/agent", "agent.home", "agent/login.html", "agent.second_step")


@bp.route("/login/second", methods=["GET", "POST"])
@limiter.limit("30 per 10 minutes", **SIGNIN_FLOOD)
def second_step():
    return second_step_page("agent", get_agent, "agent.login")


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
    return _own_page(form=form, changed=changed, first=first)


@bp.post("/recovery-codes")
def renew_recovery_codes():
    """New recovery codes, after a fresh code from the agent's authenticator; shown this once."""
    codes, form = renew_codes(current_user)
    return _own_page(codes=codes) if codes else _own_page(code_form=form)


def _own_page(form=None, changed=False, first=False, codes=None, code_form=None):
    status = max(form.status if form else 200, code_form.status if code_form else 200)
    return no_store(render_template(
        "agent/password.html", form=form or Parsed(values={"current": "", "password": ""}), changed=changed,
        first=first, codes=codes, code_form=code_form or Parsed(values={"code": ""}),
        codes_left=two_factor.recovery_codes_left(current_user))), status
