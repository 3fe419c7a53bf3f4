"""Administrators register kiosks, hand out their one-time setup links, and disable them."""
from flask import redirect, render_template, request, url_for

from services import kiosks
from services.errors import DomainError
from services.places import township_choices
from web.access import current_actor, staff_required
from web.forms import KioskInput
from web.inputs import Parsed, parse

from . import bp


def _page(form: Parsed, link: tuple | None = None, status: int = 200):
    townships = township_choices()
    return render_template(
        "office/kiosks.html", form=form, kiosks=kiosks.all_kiosks(), townships=dict(townships),
        township_options=[("", "请选择")] + [(str(t), n) for t, n in townships],
        reader_options=list(kiosks.READERS.items()), devices=kiosks.DEVICES, link=link), status


def _blank() -> Parsed:
    return Parsed(values={"name": "", "township_id": "", "reader": "huashi", "reader_url": kiosks.HUASHI_URL})


@bp.route("/kiosks", methods=["GET", "POST"])
@staff_required("admin")
def kiosk_list():
    form = _blank()
    if request.method == "POST":
        form = parse(KioskInput, request.form)
        if form.ok:
            data = form.data
            try:
                kiosk, token = kiosks.register(current_actor(), data.name, data.township_id, data.reader,
                                               data.reader_url, request.remote_addr or "")
            except DomainError as exc:
                form.refuse(exc, exc.field or "name")
            else:
                return _page(Parsed(values=form.values), (kiosk, kiosks.setup_link(token)))
    return _page(form, status=form.status)


@bp.post("/kiosks/<int:kiosk_id>/link")
@staff_required("admin")
def kiosk_link(kiosk_id: int):
    kiosk, token = kiosks.new_setup_link(current_actor(), kiosk_id, request.remote_addr or "")
    return _page(_blank(), (kiosk, kiosks.setup_link(token)))


@bp.post("/kiosks/<int:kiosk_id>/active")
@staff_required("admin")
def kiosk_active(kiosk_id: int):
    kiosks.set_active(current_actor(), kiosk_id, request.form.get("active") == "1", request.remote_addr or "")
    return redirect(url_for("office.kiosk_list"), code=303)
