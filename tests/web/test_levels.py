"""三级贯通: 低保 is accepted and checked (初审) by the township, forwarded to the county's 民政局,
which decides — or sends it back to the township for 补正. Each unit acts only while the case is
at its level; the township follows it read only; the queue is what waits for my unit."""
import html

import pytest
from sqlalchemy import select

from extensions import db
from services.cases.lifecycle import Case, submit_case
from services.outbox import OutboxMessage
from services.places import township_id_by_name
from tests import factories
from tests.conftest import form_post
from tests.web.test_office import login, staff  # noqa: F401  (the staff fixture)

pytestmark = pytest.mark.usefixtures("staff")
LOW_INCOME = "621027-BM-006"  # accepts = township, decides = county (镇原县民政局)
ELDER = "621027-BM-005"  # no levels set: its reviewer handles it from the start


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _case(app, code=LOW_INCOME) -> tuple[int, str]:
    with app.app_context():
        person = factories.person()
        case = submit_case(app.extensions["catalog"].get(code), person, {}, factories.key(),
                           township_id=township_id_by_name("城关镇"))
        return case.id, case.number


def _act(client, case_id: int, name: str, **data):
    return form_post(client, f"/office/cases/{case_id}", data, post_url=f"/office/cases/{case_id}/act/{name}")


def _level(app, case_id: int) -> tuple[str, str | None]:
    with app.app_context():
        case = db.session.get(Case, case_id)
        return case.status, case.level


def test_accepted_at_the_township_decided_at_the_county(app):
    case_id, number = _case(app)
    window, county, other = login(app, "chengguan"), login(app, "minzheng"), login(app, "tunzi")
    assert _level(app, case_id) == ("submitted", "township")
    # The county does not see it while the township has it; another township never does.
    assert county.get(f"/office/cases/{case_id}").status_code == 404 and number not in text(county.get("/office/"))
    assert other.get(f"/office/cases/{case_id}").status_code == 404
    assert _act(window, case_id, "accept").status_code == 303
    refused = _act(window, case_id, "complete", decision="approved")  # not the township's decision
    assert refused.status_code == 409 and "请先报县级审批" in text(refused)
    assert "报县级审批" in text(window.get(f"/office/cases/{case_id}"))
    assert _act(window, case_id, "forward", note="入户调查属实，民主评议通过").status_code == 303
    assert _level(app, case_id) == ("reviewing", "county")
    with app.app_context():
        sms = [m.payload["text"] for m in db.session.scalars(select(OutboxMessage)) if m.channel == "sms"]
    assert any("乡镇已初审，报送镇原县民政局审批" in t for t in sms)
    # Now the county's: in its queue, not in the township's, which may still look but not act.
    assert number in text(county.get("/office/")) and number not in text(window.get("/office/"))
    page = text(window.get(f"/office/cases/{case_id}"))
    assert "县级审批：镇原县民政局" in page and "现在不由您办理" in page and "act/complete" not in page
    assert _act(window, case_id, "complete", decision="approved").status_code == 409
    assert _act(county, case_id, "forward").status_code == 409  # already at the county
    assert _act(county, case_id, "complete", decision="approved").status_code == 303
    assert _level(app, case_id) == ("completed", "county")
    timeline = text(window.get(f"/office/cases/{case_id}"))
    assert "乡镇初审完成，报县级审批" in timeline and "入户调查属实" in timeline


def test_the_county_sends_it_back_to_the_township_for_supplement(app):
    case_id, number = _case(app)
    window, county = login(app, "chengguan"), login(app, "minzheng")
    _act(window, case_id, "accept")
    _act(window, case_id, "forward")
    response = _act(county, case_id, "supplement", materials="hardship_proof", note="请补充收入证明")
    assert response.status_code == 303, text(response)
    assert _level(app, case_id) == ("supplement", "township")  # the township collects what is missing
    assert county.get(f"/office/cases/{case_id}").status_code == 404
    assert number in text(window.get("/office/?status=supplement"))


def test_an_item_without_levels_is_handled_as_before(app):
    case_id, _ = _case(app, ELDER)
    assert _level(app, case_id) == ("submitted", None)
    county = login(app, "minzheng")
    assert _act(county, case_id, "accept").status_code == 303
    assert "act/forward" not in text(county.get(f"/office/cases/{case_id}"))
    assert _act(county, case_id, "complete", decision="approved").status_code == 303


def test_a_county_system_cannot_skip_the_township_and_old_cases_go_on(app, client):
    from sqlalchemy import update

    from tests.web.test_exchange_api import signed

    case_id, number = _case(app)
    push = f"/api/v1/exchange/mzj/cases/{number}/events"
    for action in ("accept", "forward", "complete"):
        response = signed(client, "POST", push, {"request_id": f"r-{action}", "action": action, "decision": "approved"},
                          secret="sandbox-mzj")
        assert response.status_code == 409, action
    assert _level(app, case_id) == ("submitted", "township")
    # A 低保 case made before levels existed (level NULL) is handled as it began, to the end.
    old_id, _ = _case(app)
    with app.app_context():
        db.session.execute(update(Case).where(Case.id == old_id).values(level=None))
        db.session.commit()
    window = login(app, "chengguan")
    assert _act(window, old_id, "accept").status_code == 303
    assert _act(window, old_id, "complete", decision="approved").status_code == 303
