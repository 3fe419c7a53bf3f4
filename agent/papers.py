"""The paper trail on a resident's case: a 收件清单 when originals are collected, a 回交 record
when the result or originals go back; each printed for the resident to sign."""
from flask import redirect, render_template, request, url_for

from services.cases import papers
from services.cases.handling import case_for
from services.errors import DomainError, NotFound
from web.access import current_actor
from web.forms import PaperInput
from web.inputs import Parsed, parse

from . import bp


def _kind(kind: str) -> str:
    if kind not in papers.KINDS:
        raise NotFound("没有这种记录")
    return kind


@bp.route("/r/<int:mandate_id>/my/<number>/papers/<kind>", methods=["GET", "POST"])
def paper_new(number: str, kind: str):
    actor = current_actor()
    case, kind = case_for(actor, number=number), _kind(kind)
    form = Parsed(values={"keys": [], "received_by": case.applicant_name if kind == "return" else "", "note": ""})
    if request.method == "POST":
        form = parse(PaperInput, request.form)
        if form.ok:
            copies = {k[7:]: v for k, v in request.form.items() if k.startswith("copies_")}
            try:
                paper = papers.record(actor, case, kind, form.data.keys, copies, form.data.received_by,
                                      form.data.note)
            except DomainError as exc:
                form.refuse(exc, "keys")
            else:
                return redirect(url_for("agent.paper", number=number, paper_id=paper.id), code=303)
        form.values["keys"] = request.form.getlist("keys")
    return render_template("agent/paper_form.html", case=case, kind=kind, title=papers.KINDS[kind], form=form,
                           choices=papers.choices(case, kind)), form.status


@bp.get("/r/<int:mandate_id>/my/<number>/papers/<int:paper_id>/print")
def paper(number: str, paper_id: int):
    case = case_for(current_actor(), number=number)
    record = papers.paper_of(case, paper_id)
    return render_template("agent/paper.html", case=case, paper=record, title=papers.KINDS[record.kind])


@bp.context_processor
def trail():
    """A resident's case page shows the agent the paper trail (templates/agent/_case_papers.html)."""
    def paper_trail(case):
        records = papers.papers_of(case)
        return papers.steps(case, records), records
    return {"paper_trail": paper_trail}
