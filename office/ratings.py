"""好差评 in the console: the rectifications 差评 open, answered by the department or township that
handled the case and closed by the supervisor's 回访; the rating on a case's page."""
from flask import abort, redirect, render_template, request, url_for

from services import audit
from services.cases import ratings
from services.clock import today
from services.errors import DomainError
from services.inputs import is_row_id
from web.access import current_actor, staff_required
from web.forms import CallbackInput, RectificationAnswerInput
from web.inputs import Parsed, parse

from . import bp


@bp.get("/rectifications")
@staff_required(*ratings.VIEWING_ROLES)
def rectifications():
    status = request.args.get("status", "open")
    status = status if status in ratings.RECTIFICATION_STATUS else "open"
    page = int(request.args["page"]) if is_row_id(request.args.get("page", "")) else 1
    rows = ratings.rectifications(current_actor(), status, page)
    return render_template("office/rectifications.html", rows=rows[:ratings.PAGE_SIZE], status=status, page=page,
                           more=len(rows) > ratings.PAGE_SIZE, statuses=ratings.RECTIFICATION_STATUS, today=today())


@bp.route("/rectifications/<int:rectification_id>", methods=["GET", "POST"])
@staff_required(*ratings.VIEWING_ROLES)
def rectification(rectification_id: int):
    actor = current_actor()
    fix = ratings.rectification_for(actor, rectification_id)
    answer_form = Parsed(values={"answer": ""})
    callback_form = Parsed(values={"result": "", "note": ""})
    revealed = False
    if request.method == "POST":
        step = request.form.get("step")
        if step not in ("answer", "callback", "reveal"):
            abort(400)
        form = answer_form = parse(RectificationAnswerInput, request.form) if step == "answer" else answer_form
        if step == "callback":
            form = callback_form = parse(CallbackInput, request.form)
        try:
            if step == "reveal":  # the supervisor calls the applicant back: a read of personal data, logged
                ratings.check_callback(actor)
                audit.record(actor.kind, actor.id, actor.name, "reveal_phone", f"case:{fix.case.number}",
                             ip=request.remote_addr or "")
                revealed = True
            elif form.ok and step == "answer":
                ratings.answer(fix, actor, form.data.answer)
            elif form.ok:
                ratings.record_callback(fix, actor, form.data.result, form.data.note)
        except DomainError as exc:
            form.refuse(exc, "answer" if step == "answer" else "result")
        if step != "reveal" and form.ok:
            return redirect(url_for("office.rectification", rectification_id=fix.id), code=303)
    return render_template(
        "office/rectification.html", fix=fix, rating=fix.rating, case=fix.case, today=today(),
        answer_form=answer_form, callback_form=callback_form, revealed=revealed,
        may_answer=actor.role in ratings.ANSWERING_ROLES and fix.status == "open",
        may_open_case=actor.role in ratings.ANSWERING_ROLES,  # (rectification_for: of their township or department)
        may_call=actor.role in ratings.CALLBACK_ROLES, results=list(ratings.CALLBACK_RESULTS.items()),
        dimensions=ratings.DIMENSIONS, levels=ratings.LEVELS,
    ), max(answer_form.status, callback_form.status)
