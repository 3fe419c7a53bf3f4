"""Signing in and out: the account the township administrator created, bound to one village."""
from flask import redirect, request, url_for
from flask_login import current_user

from extensions import limiter
from services import audit
from services.people.agents import authenticate
from web.access import password_login, sign_out

from . import bp


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", methods=["POST"], error_message="登录尝试太频繁，请 10 分钟后再试")
def login():
    return password_login(authenticate, "agent", "/agent", "agent.home", "agent/login.html")


@bp.post("/logout")
def logout():
    audit.record("agent", current_user.id, current_user.name, "logout", ip=request.remote_addr or "")
    sign_out()
    return redirect(url_for("agent.login"), code=303)
