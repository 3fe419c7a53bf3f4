"""Which kiosk this browser is: the device cookie set by the one-time setup link. Unknown and
disabled kiosks are refused before any view runs; a person signed in belongs to the visit at
this kiosk only."""
from urllib.parse import urlsplit

from flask import g, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from services import kiosks
from services.errors import DomainError

from . import bp

DEVICE_COOKIE = "kiosk_device"
VISIT_KEY = "kiosk_visit"
TEN_YEARS = 10 * 365 * 24 * 3600
OPEN = {"kiosk.setup", "kiosk.setup_bind"}  # the only pages an unregistered browser may open
# Pages of one person's things (a case, an order, a booking, a file). Opened with nobody
# identified — the back button after someone left — they go home, not to "identify, then show
# it", so not even a case number of the last person shows again.
PUBLIC_WITH_NUMBER = {"kiosk.track"}  # the receipt QR's timeline: the key in the link is the permission


@bp.before_request
def only_registered_kiosks():
    if request.endpoint in OPEN:
        return None
    kiosk = kiosks.by_device(request.cookies.get(DEVICE_COOKIE))
    if kiosk is None:
        return render_template("kiosk/refused.html", title="本机未登记",
                               text="这台设备还没有登记为自助终端。请工作人员在工作台登记后，用登记链接打开。"), 403
    if not kiosk.active:
        return render_template("kiosk/refused.html", title="本机已停用",
                               text="这台自助终端已停用，请到窗口办理，或请工作人员帮助。"), 403
    g.kiosk = kiosk
    g.visit = kiosks.visit_of(kiosk, session.get(VISIT_KEY))
    signed_in = current_user.is_authenticated
    if signed_in and (current_user.account_kind != "citizen" or g.visit is None or g.visit.person_id != current_user.id):
        logout_user()  # whoever it was, their visit is over: nothing of theirs stays reachable
        session.clear()
        g.visit = None
        if request.endpoint != "kiosk.home":
            return redirect(url_for("kiosk.home"), code=303)
    if not signed_in and _someones(request):
        return redirect(url_for("kiosk.home"), code=303)
    return None


def _someones(req) -> bool:
    args = req.view_args or {}
    return req.endpoint not in PUBLIC_WITH_NUMBER and (
        "number" in args or "key" in args or req.endpoint == "kiosk.booking")


@bp.context_processor
def timings():
    return {"idle_seconds": kiosks.PAGE_IDLE_SECONDS, "countdown_seconds": kiosks.COUNTDOWN_SECONDS,
            "alive_seconds": kiosks.ALIVE_EVERY_SECONDS}


@bp.get("/alive")
def alive():
    """The page saying someone is still touching it (the guard above has marked the visit seen)."""
    return "", 204


@bp.after_request
def never_kept(response):
    """Nothing of a person's is kept by the browser; the page may call the card reader's local service."""
    response.headers["Cache-Control"] = "no-store"
    kiosk = g.get("kiosk")
    if kiosk is not None and not kiosk.simulated_reader:
        parts = urlsplit(kiosk.reader_url)
        g.connect_also = f"{parts.scheme}://{parts.netloc}"
    return response


@bp.get("/setup/<token>")
def setup(token: str):
    """Opening the link shows what it will do; binding takes a tap, so a link preview binds nothing."""
    try:
        kiosk = kiosks.pending(token)
    except DomainError as exc:
        return render_template("kiosk/refused.html", title="登记链接无效", text=exc.message), 404
    return render_template("kiosk/setup.html", kiosk=kiosk, token=token)


@bp.post("/setup/<token>")
def setup_bind(token: str):
    try:
        kiosk, secret = kiosks.bind(token, request.remote_addr or "")
    except DomainError as exc:
        return render_template("kiosk/refused.html", title="登记链接无效", text=exc.message), 404
    session.clear()
    response = redirect(url_for("kiosk.home"), code=303)
    response.set_cookie(DEVICE_COOKIE, secret, max_age=TEN_YEARS, httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/kiosk")
    return response
