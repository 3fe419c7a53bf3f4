"""The kiosk's own screens: home tiles (with the scanner's input), the scanned code, the printed
receipt, leaving, read-aloud audio and the devices' health."""
from pathlib import Path

from flask import (
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user

from pwa.apply import own_case
from pwa.track import track_page
from services import kiosks, speech
from services.appointments import booking_by_code
from services.cases.receipts import receipt_for
from services.cases.tracking import read_scan, version_by_token
from services.clock import utcnow
from services.errors import DomainError
from services.registry import registry
from web.access import citizen_required
from web.security import no_store

from . import bp

# What a scanned code (or a look-up) opened is held in the session, never in the address, and
# only for as long as a visit lasts: after the person leaves, back and reload find nothing.
SHOWN = "kiosk_shown"


def _show(*what) -> None:
    session[SHOWN] = [*what, utcnow().timestamp()]


@bp.get("/")
def home():
    session.pop(SHOWN, None)  # home again: what was scanned is not behind the back button
    items = registry().catalog.in_section("convenience")
    # Nobody identified yet: a tile goes straight to identifying (then on), saving a round trip.
    return render_template("kiosk/home.html", items=items,
                           identified=current_user.is_authenticated,
                           message=request.args.get("scan_error") and "没有认出这个码，请再扫一次，或点“办事进度查询”输入编号")


@bp.get("/scan")
def scan():
    """What the scanner typed on the home screen, and Enter."""
    try:
        code = read_scan(request.args.get("code", ""))
    except DomainError:
        return redirect(url_for("kiosk.home", scan_error=1), code=303)
    if code.kind == "number":  # a receipt's barcode: the last four digits are still asked
        _show("number", code.number)
        return redirect(url_for("kiosk.shown"), code=303)
    if code.kind == "case":
        return redirect(url_for("kiosk.track", number=code.number, k=code.key), code=303)
    try:
        booking_by_code(code.key)
    except DomainError:
        return redirect(url_for("kiosk.home", scan_error=1), code=303)
    _show("booking", code.key)
    return redirect(url_for("kiosk.shown"), code=303)


@bp.get("/t/<number>")
def track(number: str):
    """A case's progress by its receipt's link (scanned, or after a look-up)."""
    version_by_token(number, request.args.get("k", ""))  # a wrong link is refused here
    _show("case", number, request.args.get("k", ""))
    return redirect(url_for("kiosk.shown"), code=303)


@bp.get("/shown")
def shown():
    held = session.get(SHOWN)
    if not isinstance(held, list) or len(held) < 3 or not isinstance(held[-1], (int, float)) \
            or utcnow().timestamp() - held[-1] > kiosks.VISIT_IDLE.total_seconds():
        session.pop(SHOWN, None)
        return redirect(url_for("kiosk.home"), code=303)
    if held[0] == "case":
        return track_page(*version_by_token(held[1], held[2])).html
    if held[0] == "number":
        return render_template("flows/track_lookup.html", errors={}, values={"case_number": held[1], "last4": ""})
    return render_template("kiosk/booking_status.html", booking=booking_by_code(held[1]))


@bp.get("/cases/<number>/receipt")
@citizen_required
def receipt(number: str):
    return no_store(render_template("kiosk/receipt.html", receipt=receipt_for(own_case(number)), narrow=True))


@bp.route("/leave", methods=["GET", "POST"])
def leave():
    """退出 (and the walk-away reset, and after printing): the visit ends and everything of the
    person's goes. Unsubmitted applications stay only when the person says so, for their phone."""
    visit = g.visit
    keep = request.form.get("keep")
    if request.method == "POST" and keep is None and request.form.get("reason") == "exit" \
            and kiosks.asks_about_drafts(g.kiosk, visit):
        return render_template("kiosk/leave.html"), 200
    if request.method == "POST":
        kiosks.end_visit(g.kiosk, visit, keep_drafts=keep == "1")
        logout_user()
        session.clear()
        printed = request.form.get("reason") == "printed"
        if printed:
            kiosks.report(g.kiosk, "printer", True)  # sent to the printer; the person may say otherwise
        response = redirect(url_for("kiosk.home", bye=1, printed=1 if printed else None), code=303)
        response.headers["Clear-Site-Data"] = '"cache"'
        return response
    return render_template("kiosk/leave.html") if visit is not None else redirect(url_for("kiosk.home"))


@bp.get("/speech")
def speech_audio():
    """Read-aloud audio where the browser has no Mandarin voice: espeak-ng, cached per text."""
    try:
        audio = speech.audio_for(request.args.get("text", ""), Path(current_app.instance_path) / "speech")
    except DomainError as exc:  # the page falls back to the browser's own voice
        return jsonify(error={"message": exc.message}), exc.status
    response = make_response(audio)
    response.mimetype = "audio/wav"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/health")
def health():
    """The page reports a device's state (the reader did not answer, the camera would not open).
    A browser cannot see a printer's paper run out: the person says so (“回执没打出来？”)."""
    try:
        kiosks.report(g.kiosk, request.form.get("device"), request.form.get("ok") == "1", request.form.get("message", ""))
    except DomainError as exc:
        return jsonify(error={"message": exc.message}), 422
    if request.form.get("from") == "person":
        return redirect(url_for("kiosk.home", reported=1), code=303)
    return ("", 204)
