"""Staff security: the second step of signing in (两步验证), one's own password, recovery codes
and sessions; an administrator's account actions and the slowed sign-in tries."""
from flask import redirect, render_template, request, session, url_for
from flask_login import current_user

from extensions import limiter
from services import audit
from services.errors import NotFound
from services.people import sessions, staff, throttle, two_factor
from web.access import (
    SESSION_TOKEN,
    SIGNIN_FLOOD,
    change_own_password,
    current_actor,
    sign_out,
    staff_required,
)
from web.forms import (
    ThrottleClearInput,
)
from web.inputs import Parsed, parse
from web.security import no_store
from web.two_step import renew_recovery_codes as renew_codes
from web.two_step import second_step_page

from . import bp
from .handover import hand_over


def _ip() -> str:
    return request.remote_addr or ""


@bp.route("/login/second", methods=["GET", "POST"])
@limiter.limit("30 per 10 minutes", **SIGNIN_FLOOD)
def second_step():
    return second_step_page("staff", staff.get_account, "office.login")


def _own_page(form=None, codes=None, changed=False, code_form=None):
    status = max(form.status if form else 200, code_form.status if code_form else 200)
    return no_store(render_template(
        "office/security.html", form=form or Parsed(values={"current": "", "password": ""}), codes=codes,
        code_form=code_form or Parsed(values={"code": ""}),
        changed=changed, first=current_user.must_change_password,
        codes_left=two_factor.recovery_codes_left(current_user),
        live=sessions.live("staff", current_user.id), here=sessions.hash_of(session.get(SESSION_TOKEN, "")))), status


@bp.get("/security")
@staff_required()
def security():
    return _own_page()


@bp.post("/security/password")
@staff_required()
def change_password():
    first = current_user.must_change_password
    form = change_own_password("staff")
    if form is None:  # every other browser signed in as this member is out now
        return redirect(url_for("office.queue"), code=303) if first else _own_page(changed=True)
    return _own_page(form)


@bp.post("/security/recovery-codes")
@staff_required()
def renew_recovery_codes():
    codes, form = renew_codes(current_user)
    return _own_page(codes=codes) if codes else _own_page(code_form=form)


ACCOUNT_ACTIONS = {
    "disable": lambda actor, user_id, ip: staff.set_active(actor, user_id, False, ip),
    "enable": lambda actor, user_id, ip: staff.set_active(actor, user_id, True, ip),
    "sign-out": staff.sign_out_everywhere,
}
# Actions whose outcome is something to hand the member in person, shown this once.
HANDOVER_ACTIONS = {"reset-two-factor": staff.reset_two_factor, "reset-password": staff.reset_password}


@bp.post("/accounts/<int:user_id>/<action>")
@staff_required("admin")
def account_action(user_id: int, action: str):
    if action in HANDOVER_ACTIONS:
        return hand_over(HANDOVER_ACTIONS[action](current_actor(), user_id, _ip()))
    if action not in ACCOUNT_ACTIONS:
        raise NotFound("没有这个操作")
    ACCOUNT_ACTIONS[action](current_actor(), user_id, _ip())
    return redirect(url_for("office.accounts"), code=303)


@bp.get("/throttles")
@staff_required("admin")
def throttles():
    return render_template("office/throttles.html", slowed=throttle.current(), now_cleared=request.args.get("cleared"))


@bp.post("/throttles/clear")
@staff_required("admin")
def clear_throttle():
    form = parse(ThrottleClearInput, request.form)
    if form.ok:
        throttle.clear(current_actor(), form.data.key, _ip())
    return redirect(url_for("office.throttles", cleared=1), code=303)


@bp.post("/logout/everywhere")
@staff_required()
def sign_out_all_mine():
    """One's own 全部退出 (a browser left signed in elsewhere): this one too."""
    sessions.end_all("staff", current_user.id, "everywhere")
    audit.record("staff", current_user.id, current_user.name, "sign_out_everywhere", f"staff:{current_user.id}",
                 ip=_ip())
    sign_out()
    return redirect(url_for("office.login"), code=303)
