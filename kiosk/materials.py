"""Materials at the kiosk, beside the shared upload page: the document camera is driven by the
page itself (static/js/kiosk.js posts what it captured to the shared upload form); this module
shows the QR for 手机扫码上传 and tells the screen when the phone's photos have arrived."""
from flask import redirect, render_template, request, url_for

from pwa.apply import item_and_draft
from services.cases import phone_upload
from services.cases.receipts import qr_svg
from services.errors import DomainError
from web.access import current_actor, verified_required

from . import bp


@bp.get("/apply/<code>/materials/<key>/phone")
@verified_required
def phone_upload_qr(code: str, key: str):
    item, draft = item_and_draft(code)
    arrived = phone_upload.uploads_for(draft, key)
    if request.args.get("check"):  # the screen asking whether the photos are here yet (kiosk.js polls)
        return render_template("kiosk/_poll_state.html", state=arrived)
    try:
        token = phone_upload.issue(draft, item, key, current_actor())
    except DomainError:
        return redirect(url_for("kiosk.apply_materials", code=code), code=303)
    material = item.material(key)
    return render_template("kiosk/phone_upload.html", item=item, material=material,
                           qr=qr_svg(phone_upload.link_for(token)),
                           arrived=arrived)
