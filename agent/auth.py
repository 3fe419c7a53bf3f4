"""Signing in and out: the account the township administrator created, bound to one village."""
from flask import redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from extensions import limiter
from services import audit
from services.clock import utcnow
from services.errors import DomainError
from services.people.agents import authenticate
from web.forms import StaffLoginInput
from web.inputs import Parsed, parse
from web.preferences import safe_next

from . import bp


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", methods=["POST"], error_message="登录尝试太频繁，请 10 分钟后再试")
def login():
    form = Parsed(values={"username": "", "password": ""})
    if request.method == "POST":
        form = parse(StaffLoginInput, request.form)
        form.values["password"] = ""  # never sent back
        if form.ok:
            try:
                agent = authenticate(form.data.username, form.data.password, request.remote_addr or "")
            except DomainError as exc:
                form.refuse(exc, "password")
            else:
                session.clear()  # a fresh session: nothing of a previous user survives
                login_user(agent)
                session["staff_seen"] = utcnow().timestamp()
                target = request.args.get("next", "")
                return redirect(safe_next(target) if target.startswith("/agent/") else url_for("agent.home"),
                                code=303)
    return (render_template("agent/login.html", form=form, timeout=request.args.get("timeout")),
            422 if form.errors else 200)


@bp.post("/logout")
def logout():
    audit.record("agent", current_user.id, current_user.name, "logout", ip=request.remote_addr or "")
    logout_user()
    session.clear()
    return redirect(url_for("agent.login"), code=303)
