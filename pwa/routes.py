import secrets

from flask import abort, current_app, redirect, render_template, request, url_for

from services.catalog import SECTION_NAMES, Catalog
from services.errors import DomainError
from services.feedback import record_feedback
from services.places import list_townships
from web.forms import attach_error
from web.fragments import render_page, wants_fragment
from web.pagecache import cached_page

from . import bp
from .forms import FeedbackForm

SEARCH_MAX = 50


def catalog() -> Catalog:
    return current_app.extensions["catalog"]


@bp.get("/")
def home():
    c = catalog()
    return cached_page("home", lambda: render_template(
        "pwa/home.html", convenience=c.in_section("convenience"),
        approval=c.in_section("approval"), special=c.in_section("special"),
    ))


@bp.get("/s/<section>")
def section(section: str):
    if section not in SECTION_NAMES:
        abort(404)
    return cached_page("section:" + section, lambda: render_template(
        "pwa/section.html", section=section, items=catalog().in_section(section)))


@bp.get("/items/<code>")
def guide(code: str):
    item = catalog().get(code)
    return cached_page("guide:" + code, lambda: render_template("pwa/guide.html", item=item))


@bp.get("/search")
def search():
    query = request.args.get("q", "").strip()[:SEARCH_MAX]
    results = catalog().search(query) if query else []
    return render_page("pwa/search.html", "pwa/_search_results.html",
                       query=query, results=results)


@bp.get("/places")
def places():
    return render_template("pwa/places.html", townships=list_townships())


@bp.route("/items/<code>/feedback", methods=["GET", "POST"])
def feedback(code: str):
    item = catalog().get(code)
    form = FeedbackForm()
    if request.method == "GET":
        form.useful.data = request.args.get("useful") if request.args.get("useful") in ("0", "1") else None
        form.token.data = secrets.token_urlsafe(24)
    elif form.validate_on_submit():
        try:
            record_feedback(catalog(), code, form.token.data, form.useful.data == "1",
                            form.comment.data)
        except DomainError as exc:
            attach_error(form, exc, "comment")
        else:
            if wants_fragment():
                return render_template("pwa/_feedback_thanks.html", item=item)
            return redirect(url_for("pwa.feedback_thanks", code=code), code=303)
    status = 422 if form.errors else 200
    return render_page("pwa/feedback.html", "pwa/_feedback_form.html", item=item,
                       form=form), status


@bp.get("/items/<code>/feedback/thanks")
def feedback_thanks(code: str):
    return render_template("pwa/feedback_thanks.html", item=catalog().get(code))
