"""我的个人信息: what we hold about the signed-in person, and a copy of it to download
(个人信息查阅、复制权, 《个人信息保护法》第四十五条). The gathering and its audit record are
services.people.my_data's; this page only shows and sends."""
import json

from flask import current_app, make_response, render_template, request

from extensions import limiter
from services.clock import today
from services.people import my_data
from web.access import applicant, verified_required
from web.security import no_store

from . import bp


def _per_person() -> str:
    """Downloads counted per person, wherever they ask from (a phone changes address often)."""
    return f"export:{applicant().id}"


@bp.get("/me/data")
@verified_required
def my_data_page():
    return no_store(render_template("flows/my_data.html", sections=my_data.SECTIONS,
                                    section_names=my_data.SECTION_NAMES, not_included=my_data.NOT_INCLUDED,
                                    retention_days=current_app.config["MATERIALS_RETENTION_DAYS"]))


@bp.post("/me/data/download")
@verified_required
@limiter.limit("5 per hour", key_func=_per_person, error_message="下载太频繁了，请一小时后再试")
def my_data_download():
    data = my_data.export(applicant(), ip=request.remote_addr or "")
    response = make_response(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    response.content_type = "application/json; charset=utf-8"
    response.headers.set("Content-Disposition", "attachment", filename=f"my-data-{today():%Y%m%d}.json")
    response.headers["Cache-Control"] = "no-store"
    return response
