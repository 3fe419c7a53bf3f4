import secrets

from flask import abort, current_app, redirect, render_template, request

from services import inputs
from services.catalog import SECTION_NAMES, Catalog
from services.errors import DomainError
from services.feedback import record_feedback
from services.places import list_townships
from web.forms import FeedbackInput
from web.fragments import render_page, wants_fragment
from web.frontends import flow_url
from web.inputs import Parsed, parse
from web.pagecache import cached_page

from . import bp

SEARCH_MAX = 50


def catalog() -> Catalog:
    return current_app.extensions["catalog"]


def power_lists():
    """The 权责清单, loaded beside the catalog at start-up."""
    return current_app.extensions["powers"]


@bp.get("/")
def home():
    c = catalog()
    return cached_page("home", lambda: render_template(
        "flows/home.html", convenience=c.in_section("convenience"),
        approval=c.in_section("approval"), special=c.in_section("special"),
    ))


@bp.get("/s/<section>")
def section(section: str):
    if section not in SECTION_NAMES:
        abort(404)
    return cached_page("section:" + section, lambda: render_template(
        "flows/section.html", section=section, items=catalog().in_section(section)))


@bp.get("/items/<code>")
def guide(code: str):
    item = catalog().get(code)
    power = power_lists().for_item(code)
    return cached_page("guide:" + code, lambda: render_template("flows/guide.html", item=item, power=power))


@bp.get("/search")
def search():
    try:
        query = inputs.text(request.args.get("q", "")[:SEARCH_MAX], SEARCH_MAX, markup=True)
    except DomainError:
        query = ""  # a search with control characters finds nothing, as a search for nonsense does
    results = catalog().search(query) if query else []
    return render_page("flows/search.html", "flows/_search_results.html",
                       query=query, results=results)


@bp.get("/places")
def places():
    return render_template("flows/places.html", townships=list_townships())


@bp.route("/items/<code>/feedback", methods=["GET", "POST"])
def feedback(code: str):
    item = catalog().get(code)
    useful = request.args.get("useful")
    form = Parsed(values={"useful": useful if useful in ("0", "1") else "", "comment": "",
                          "token": secrets.token_urlsafe(24)})
    if request.method == "POST":
        form = parse(FeedbackInput, request.form)
        if "token" in form.errors:  # an expired or tampered page: a fresh token, the message shown
            form.errors["comment"] = form.errors.pop("token")
            form.values["token"] = secrets.token_urlsafe(24)
        try:
            if form.ok:
                record_feedback(catalog(), code, form.data.token, form.data.useful == "1", form.data.comment)
        except DomainError as exc:
            form.refuse(exc, "comment")
        else:
            if form.ok and wants_fragment():
                return render_template("flows/_feedback_thanks.html", item=item)
            if form.ok:
                return redirect(flow_url("feedback_thanks", code=code), code=303)
    status = 422 if form.errors else 200
    return render_page("flows/feedback.html", "flows/_feedback_form.html", item=item,
                       form=form), status


@bp.get("/items/<code>/feedback/thanks")
def feedback_thanks(code: str):
    return render_template("flows/feedback_thanks.html", item=catalog().get(code))
