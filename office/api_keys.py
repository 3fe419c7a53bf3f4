"""部门接口密钥: the county's administrator makes, rotates and revokes the keys department
systems sign their requests with. A new secret is shown once, on the page that made it."""
import secrets

from flask import current_app, redirect, render_template, request, session, url_for

from services.department_api import system_departments
from services.errors import DomainError
from services.exchange import keys
from web.access import current_actor, staff_required
from web.security import no_store

from . import bp


def _systems() -> list[str]:
    return current_app.config["EXCHANGE_SYSTEMS"]


FORM = "api_key_form"  # the session's one-time token of the 生成 form: a reload or double tap makes no second key


def _page(made=None, error: str = "", status: int = 200):
    names = system_departments()
    session.setdefault(FORM, secrets.token_urlsafe(16))  # one per form shown, until it is used
    return no_store(render_template("office/api_keys.html", systems={s: keys.keys_of(s) for s in _systems()},
                                    names=names, made=made, error=error, max_active=keys.MAX_ACTIVE,
                                    form_token=session[FORM])), status


@bp.route("/api-keys", methods=["GET", "POST"])
@staff_required("admin")
def api_keys():
    if request.method == "POST":
        sent = request.form.get("form_token", "").encode("utf-8", "replace")  # bytes: any characters compare
        if not sent or not secrets.compare_digest(str(session.pop(FORM, "")).encode(), sent):
            return redirect(url_for("office.api_keys"), code=303)  # this form was used already
        try:
            made = keys.create_key(current_actor(), request.form.get("system", ""), _systems(),
                                   request.remote_addr or "")
        except DomainError as exc:
            return _page(error=exc.message, status=422)
        return _page(made=made)  # the secret, this once: never stored in a page anyone can reload
    return _page()


@bp.post("/api-keys/<key_id>/revoke")
@staff_required("admin")
def api_key_revoke(key_id: str):
    keys.revoke_key(current_actor(), key_id, request.remote_addr or "")
    return redirect(url_for("office.api_keys"), code=303)
