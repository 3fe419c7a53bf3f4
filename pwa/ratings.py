"""好差评 after 办结: the applicant's (or their agent's) one rating of a case."""
from flask import redirect, render_template, request

from services.cases.ratings import DIMENSIONS, LEVELS, may_rate, rate, rating_of
from services.errors import DomainError
from web.access import citizen_required, current_actor
from web.forms import RatingInput
from web.frontends import flow_url
from web.inputs import Parsed, parse
from web.security import no_store

from . import bp
from .apply import own_case


@bp.route("/my/<number>/rate", methods=["GET", "POST"])
@citizen_required
def rate_case(number: str):
    case, actor = own_case(number), current_actor()
    done = flow_url("my_case", number=number) + "#rating"
    earlier = rating_of(case)
    if earlier is not None and not may_rate(actor, case, earlier):  # rated (a double tap, a second link)
        return redirect(done, code=303)
    form = Parsed(values={})
    if request.method == "POST":
        form = parse(RatingInput, request.form)
        try:
            if form.ok:
                data = form.data
                rate(case, actor, data.overall, {k: getattr(data, k) for k in DIMENSIONS if k != "overall"},
                     data.comment)
                return redirect(done, code=303)
        except DomainError as exc:
            form.refuse(exc, "overall")
    return no_store(render_template("flows/rate.html", case=case, form=form, levels=LEVELS, dimensions=DIMENSIONS,
                                    open=may_rate(actor, case, earlier), earlier=earlier), form.status)
