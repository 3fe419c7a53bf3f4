"""The phone's side of 手机扫码上传: the page a kiosk's QR opens. No sign-in: holding the QR,
shown on the kiosk to the person standing there, is the permission, for one material of one
draft, once, for 20 minutes."""
from flask import render_template, request

from services.cases import phone_upload as link_uploads
from services.errors import DomainError
from services.people.identity import mask_name
from services.registry import registry
from web.forms import uploaded_files
from web.security import no_store

from . import bp


@bp.route("/up/<token>", methods=["GET", "POST"])
def phone_upload(token: str):
    link = link_uploads.resolve(token)
    material = link.item.material(link.material_key)
    error, done = None, False
    if request.method == "POST":
        try:
            link_uploads.upload(registry().storage, link, uploaded_files(request))
        except DomainError as exc:
            error = exc.message
        else:
            done = True
    return no_store(render_template("flows/phone_upload.html", item=link.item, material=material, error=error,
                                    done=done, applicant=mask_name(link.draft.answers.get("name") or ""),
                                    token=token), 422 if error else 200)
