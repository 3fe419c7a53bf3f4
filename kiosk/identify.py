"""Identifying the person at the kiosk: the ID card on the reader (or the number on the keypad),
then the SMS code on the keypad. What the card and phone were is held by the visit on the
server (services.kiosks), never in the kiosk's cookie."""
from flask import g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from services import kiosks
from services.clock import today
from services.errors import DomainError
from services.people import cards
from services.people.identity import mask_phone
from services.people.signin import CodeAlreadySent, request_code, verify_code
from services.registry import registry
from web.access import requester
from web.forms import CodeInput, PhoneInput
from web.inputs import Parsed, parse
from web.preferences import safe_next

from . import bp
from .device import VISIT_KEY


def _next() -> str:
    """Where to go once identified: a kiosk page (no "..", no way out to the phone's pages)."""
    target = safe_next(request.args.get("next"))
    path = target.split("?", 1)[0]
    if not path.startswith("/kiosk/") or any(part in (".", "..") for part in path.split("/")) or "%" in path:
        return url_for("kiosk.home")
    return target


def _start_afresh() -> None:
    """Identifying starts here: a card or phone held by someone who did not finish goes."""
    if g.visit is not None and g.visit.person_id is None:
        kiosks.end_visit(g.kiosk, g.visit)
        session.pop(VISIT_KEY, None)
        g.visit = None


def _visit():
    """The visit going on, or a new one (the first step of identifying starts it)."""
    if g.visit is None:
        g.visit, session[VISIT_KEY] = kiosks.start_visit(g.kiosk)
    return g.visit


@bp.get("/identify")
def identify():
    """Lay the card on the reader. The page's script asks the reader and posts what it read."""
    if current_user.is_authenticated:
        return redirect(_next(), code=303)
    _start_afresh()
    return render_template("kiosk/identify.html", next=_next(), demo_card=kiosks.SIMULATED_CARD)


@bp.post("/identify/card")
def identify_card():
    try:
        card = cards.read_card(request.form, today())
    except DomainError as exc:
        return render_template("kiosk/identify.html", next=_next(), message=exc.message,
                               demo_card=kiosks.SIMULATED_CARD), 422
    kiosks.hold(_visit(), card=card)
    phone = cards.phone_on_file(card)
    if phone:  # the card's holder has a phone on file: the code goes there, nothing to type
        return _send_code(phone, Parsed(values={"phone": ""}))
    return redirect(url_for("kiosk.identify_phone", next=_next()), code=303)


@bp.route("/identify/number", methods=["GET", "POST"])
def identify_number():
    """No card with them: the ID number on the keypad (only for people already verified)."""
    form = Parsed(values={"id_number": ""})
    if request.method == "GET":
        _start_afresh()
    if request.method == "POST":
        form = Parsed(values={"id_number": request.form.get("id_number", "")[:30]})
        try:
            card = cards.typed(request.form.get("id_number", ""), today())
        except DomainError as exc:
            form.refuse(exc, "id_number")
        else:
            kiosks.hold(_visit(), card=card)
            return redirect(url_for("kiosk.identify_phone", next=_next()), code=303)
    return render_template("kiosk/keypad.html", step="id_number", form=form, next=_next()), form.status


@bp.route("/identify/phone", methods=["GET", "POST"])
def identify_phone():
    if kiosks.held_card(g.visit) is None:
        return redirect(url_for("kiosk.identify", next=_next()), code=303)
    form = Parsed(values={"phone": ""})
    if request.method == "POST":
        form = parse(PhoneInput, request.form)
        if form.ok:
            return _send_code(form.data.phone, form)
    return render_template("kiosk/keypad.html", step="phone", form=form, next=_next()), form.status


def _send_code(phone: str, form: Parsed):
    try:
        phone, code = request_code(phone, requester())
    except CodeAlreadySent:
        pass  # a code sent a moment ago is still good: go on to typing it
    except DomainError as exc:
        form.refuse(exc, "phone")
        return render_template("kiosk/keypad.html", step="phone", form=form, next=_next()), form.status
    else:
        if registry().sms.is_sandbox:
            session["demo_code"] = code  # the demo has no real SMS: the page shows the code
    kiosks.hold(g.visit, phone=phone)
    return redirect(url_for("kiosk.identify_code", next=_next()), code=303)


@bp.route("/identify/code", methods=["GET", "POST"])
def identify_code():
    card = kiosks.held_card(g.visit)
    if card is None or not g.visit.phone:
        return redirect(url_for("kiosk.identify", next=_next()), code=303)
    form = Parsed(values={"code": ""})
    if request.method == "POST":
        form = parse(CodeInput, request.form)
        if form.ok:
            try:
                person = verify_code(g.visit.phone, form.data.code, requester())
                person = cards.confirm(person, card, g.kiosk.id, g.kiosk.name)  # maybe a record an agent made
            except DomainError as exc:
                form.refuse(exc, "code")
            else:
                session.pop("demo_code", None)
                kiosks.hold(g.visit, person_id=person.id)
                login_user(person)
                return redirect(_next(), code=303)
    return render_template("kiosk/keypad.html", step="code", form=form, next=_next(),
                           phone=mask_phone(g.visit.phone), demo_code=session.get("demo_code")), form.status
