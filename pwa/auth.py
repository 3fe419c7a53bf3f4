"""Sign-in (手机号 + 短信验证码), real name (实名), and the one-time 长辈版 offer."""
from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from extensions import limiter
from services.clock import today
from services.errors import DomainError
from services.people.identity import mask_phone, verify_and_offer_elder
from services.people.signin import CodeAlreadySent, request_code, verify_code
from services.registry import registry
from web.access import citizen_required, requester
from web.forms import CodeInput, PhoneInput, RealNameInput
from web.inputs import Parsed, parse
from web.preferences import is_elder, safe_next

from . import bp
from .province import province_name

# A flood guard only: the limits people meet (per phone, per device, wrong codes) are counted
# in the database by services.people.signin, the same for every worker.
FLOOD = "120 per hour"


def _next() -> str:
    return safe_next(request.args.get("next"))


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(FLOOD, methods=["POST"])
def signin():
    form = Parsed(values={"phone": request.args.get("phone", "")[:20]})
    if request.method == "POST":
        form = parse(PhoneInput, request.form)
        if form.ok:
            try:
                phone, code = request_code(form.data.phone, requester())
            except CodeAlreadySent as exc:  # a double tap, or a code someone else asked for
                if session.get("signin_phone") != form.data.phone:  # the demo code shown was another phone's
                    session.pop("demo_code", None)
                session["signin_phone"] = form.data.phone
                flash(exc.message)
                return redirect(url_for("pwa.signin_code", next=_next()), code=303)
            except DomainError as exc:
                form.refuse(exc, "phone")
            else:
                session["signin_phone"] = phone
                if registry().sms.is_sandbox:
                    session["demo_code"] = code  # the demo has no real SMS: show the code instead
                return redirect(url_for("pwa.signin_code", next=_next()), code=303)
    return render_template("flows/signin.html", form=form, next=_next(), province=province_name()), form.status


@bp.route("/signin/code", methods=["GET", "POST"])
@limiter.limit(FLOOD, methods=["POST"])
def signin_code():
    phone = session.get("signin_phone")
    if not phone:
        return redirect(url_for("pwa.signin", next=_next()), code=303)
    form = Parsed(values={"code": ""})
    if request.method == "POST":
        form = parse(CodeInput, request.form)
        if form.ok:
            try:
                person = verify_code(phone, form.data.code, requester())
            except DomainError as exc:
                form.refuse(exc, "code")
            else:
                session.pop("demo_code", None)
                session.pop("signin_phone", None)
                session.permanent = True
                login_user(person)
                if not person.is_verified:
                    return redirect(url_for("pwa.verify", next=_next()), code=303)
                return redirect(_next(), code=303)
    return (render_template("flows/signin_code.html", form=form, phone=mask_phone(phone),
                            raw_phone=phone, demo_code=session.get("demo_code"), next=_next()),
            form.status)


@bp.route("/me/verify", methods=["GET", "POST"])
@citizen_required
def verify():
    if current_user.is_verified and request.method == "GET":
        return redirect(_next(), code=303)
    form = Parsed(values={"name": "", "id_number": ""})
    if request.method == "POST":
        form = parse(RealNameInput, request.form)
        if form.ok:
            try:
                offer = verify_and_offer_elder(current_user, form.data.name, form.data.id_number,
                                               is_elder(request), today())
            except DomainError as exc:
                form.refuse(exc, "id_number")
            else:
                if offer:
                    return redirect(url_for("pwa.elder_offer", next=_next()), code=303)
                return redirect(_next(), code=303)
    return render_template("flows/verify.html", form=form, next=_next()), form.status


@bp.get("/me/elder")
@citizen_required
def elder_offer():
    return render_template("flows/elder_offer.html", next=_next())


@bp.post("/signout")
def signout():
    logout_user()
    session.clear()
    return redirect(url_for("pwa.home"), code=303)
