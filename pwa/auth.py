"""Sign-in (手机号 + 短信验证码), real name (实名), and the one-time 长辈版 offer."""
from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from extensions import db, limiter
from web.access import citizen_required
from services.clock import today
from services.errors import DomainError
from services.identity import ELDER_AGE, age_on, mask_phone, normalise_phone, verify_real_name
from services.signin import request_code, verify_code
from web.forms import attach_error
from web.preferences import is_elder, safe_next

from . import bp
from .forms import CodeForm, PhoneForm, RealNameForm


def _phone_key() -> str:
    try:
        return "phone:" + normalise_phone(request.form.get("phone", ""))
    except DomainError:
        return "ip:" + (request.remote_addr or "")


def _next() -> str:
    return safe_next(request.args.get("next"))


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"], error_message="这台设备获取验证码太频繁，请一小时后再试")
@limiter.limit("1 per minute;5 per hour", key_func=_phone_key, methods=["POST"],
               error_message="这个手机号获取验证码太频繁，请稍后再试（每分钟 1 次，每小时 5 次）")
def signin():
    form = PhoneForm()
    if request.method == "GET":
        form.phone.data = request.args.get("phone", "")
    elif form.validate_on_submit():
        try:
            phone, code = request_code(form.phone.data)
        except DomainError as exc:
            attach_error(form, exc, "phone")
        else:
            session["signin_phone"] = phone
            if current_app.extensions["senders"]["sms"].is_sandbox:
                session["demo_code"] = code  # the demo has no real SMS: show the code instead
            return redirect(url_for("pwa.signin_code", next=_next()), code=303)
    return render_template("pwa/signin.html", form=form, next=_next()), 422 if form.errors else 200


@bp.route("/signin/code", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", methods=["POST"], error_message="验证码输错太多次，请 10 分钟后再试")
def signin_code():
    phone = session.get("signin_phone")
    if not phone:
        return redirect(url_for("pwa.signin", next=_next()), code=303)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            person = verify_code(phone, form.code.data)
        except DomainError as exc:
            attach_error(form, exc, "code")
        else:
            session.pop("demo_code", None)
            session.pop("signin_phone", None)
            session.permanent = True
            login_user(person)
            if not person.is_verified:
                return redirect(url_for("pwa.verify", next=_next()), code=303)
            return redirect(_next(), code=303)
    return (render_template("pwa/signin_code.html", form=form, phone=mask_phone(phone),
                            raw_phone=phone, demo_code=session.get("demo_code"), next=_next()),
            422 if form.errors else 200)


@bp.route("/me/verify", methods=["GET", "POST"])
@citizen_required
def verify():
    form = RealNameForm()
    if current_user.is_verified and request.method == "GET":
        return redirect(_next(), code=303)
    if form.validate_on_submit():
        try:
            verify_real_name(current_user, form.name.data, form.id_number.data)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc, "id_number")
        else:
            offer = (not current_user.elder_offered and not is_elder(request)
                     and age_on(current_user.id_number, today()) >= ELDER_AGE)
            current_user.elder_offered = current_user.elder_offered or offer
            db.session.commit()
            if offer:
                return redirect(url_for("pwa.elder_offer", next=_next()), code=303)
            return redirect(_next(), code=303)
    return render_template("pwa/verify.html", form=form, next=_next()), 422 if form.errors else 200


@bp.get("/me/elder")
@citizen_required
def elder_offer():
    return render_template("pwa/elder_offer.html", next=_next())


@bp.post("/signout")
def signout():
    logout_user()
    session.clear()
    return redirect(url_for("pwa.home"), code=303)
