"""Retention of uploaded materials (services/retention.py): the files of a closed case go once its
period is over — not before, never an open case's, never the result handed over — each case once,
with an audit record, however many workers run; the case's pages then say so instead of linking."""
import html
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from extensions import db
from services.audit import AuditEntry
from services.cases.lifecycle import Case, act, submit_case
from services.cases.materials import RESULT, Upload, store_files
from services.clock import aware, utcnow
from services.people.actors import Actor, citizen
from services.registry import registry
from services.retention import DEFAULT_DAYS, due_count, purge_due
from tests import factories, images
from tests.conftest import sign_in
from tests.web.test_apply import ID_A, apply_fully
from tests.web.test_office import login, staff  # noqa: F401  (the staff fixture)

BIRTH = "621027-BM-004"
CLERK = Actor("staff", 1, "城关镇窗口 李娜")
LATER = timedelta(days=DEFAULT_DAYS + 1)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def a_case(phone: str = "13900000001", seq: str = "123") -> Case:
    """A submitted case with one material, built through the services the pages call."""
    person = factories.person(phone, seq=seq)
    case = submit_case(registry().catalog.get(BIRTH), person, {"address": "城关镇东关村"}, factories.key())
    store_files(registry().storage, [("证明.png", images.png())], person.id, "pregnancy_proof", citizen(person),
                case_id=case.id)
    return case


def withdraw(case: Case) -> None:
    """The applicant withdraws it: closed (撤回) this moment."""
    act(case, "withdraw", Actor("citizen", case.applicant_id, case.applicant_name))


def delivered_with_result(case: Case) -> Upload:
    """Decided and handed over electronically: the result file is the applicant's to keep."""
    act(case, "accept", CLERK)
    act(case, "complete", CLERK, data={"decision": "approved"})
    result = store_files(registry().storage, [("准予通知.pdf", images.pdf())], case.applicant_id, RESULT, CLERK,
                         case_id=case.id)[0]
    act(case, "deliver", CLERK, data={"method": "electronic", "file": result.key})
    return result


def materials(case_id: int) -> list[Upload]:
    return list(db.session.scalars(select(Upload).where(Upload.case_id == case_id, Upload.material_key != RESULT)))


def stored(key: str) -> bool:
    try:
        registry().storage.get(key)
    except FileNotFoundError:
        return False
    return True


def purges() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "purge_materials")
                                   .order_by(AuditEntry.id)))


def test_materials_go_once_the_period_after_closing_is_over_and_not_before(app):
    with app.app_context():
        case = a_case()
        withdraw(case)
        closed, (upload,) = aware(case.completed_at), materials(case.id)
        assert purge_due(now=closed + timedelta(days=DEFAULT_DAYS - 1)) == 0
        assert stored(upload.key) and upload.purged_at is None
        assert purge_due(now=closed + LATER) == 1
        db.session.expire_all()
        (upload,) = materials(case.id)
        assert upload.purged_at is not None and not stored(upload.key)
        assert upload.original_name == "证明.png" and upload.size > 0 and len(upload.sha256) == 64  # the row stays


def test_open_and_undelivered_cases_and_handed_over_results_are_never_touched(app):
    with app.app_context():
        submitted, decided, delivered = a_case(), a_case("13900000002", "456"), a_case("13900000003", "789")
        act(decided, "accept", CLERK)
        act(decided, "complete", CLERK, data={"decision": "approved"})  # 办结, the result not back yet
        result = delivered_with_result(delivered)
        assert purge_due(now=utcnow() + timedelta(days=20 * 365)) == 1
        db.session.expire_all()
        for case in (submitted, decided):
            assert all(u.purged_at is None and stored(u.key) for u in materials(case.id))
        assert all(u.purged_at is not None for u in materials(delivered.id))
        result = db.session.get(Upload, result.id)
        assert result.purged_at is None and stored(result.key)


def test_a_second_run_finds_nothing_and_each_case_has_one_audit_record(app):
    with app.app_context():
        cases = [a_case(f"1390000000{n}", f"12{n}") for n in range(1, 4)]
        for case in cases:
            withdraw(case)
        later = utcnow() + LATER
        assert due_count(now=later) == 3
        assert purge_due(now=later) == 3
        assert purge_due(now=later) == 0 and due_count(now=later) == 0
        entries = purges()
        assert sorted(e.target for e in entries) == sorted(f"case:{c.number}" for c in cases)
        assert {(e.actor_kind, e.detail["files"], e.detail["retention_days"]) for e in entries} == \
            {("system", 1, DEFAULT_DAYS)}


def test_two_workers_at_once_purge_each_case_once(app):
    with app.app_context():
        for n in range(1, 7):
            withdraw(a_case(f"1390000001{n}", f"13{n}"))
    later, counts, start = utcnow() + LATER, [], threading.Barrier(2)

    def worker():
        with app.app_context():
            start.wait()
            counts.append(purge_due(now=later))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with app.app_context():
        assert sum(counts) == 6 and len(purges()) == 6
        assert len({e.target for e in purges()}) == 6


class DownStore:
    """An object store that cannot be reached."""

    def delete(self, key):
        raise ConnectionError("store unreachable")


def test_a_store_that_cannot_delete_leaves_the_case_for_the_next_run(app):
    with app.app_context():
        case = a_case()
        withdraw(case)
        later = utcnow() + LATER
        assert purge_due(now=later, storage=DownStore()) == 0
        assert all(u.purged_at is None for u in materials(case.id)) and purges() == []
        assert purge_due(now=later) == 1 and len(purges()) == 1


def test_a_period_that_makes_no_sense_is_refused(app):
    with app.app_context(), pytest.raises(ValueError, match="MATERIALS_RETENTION_DAYS"):
        purge_due(days=0)


def test_the_command_purges_what_is_due_and_says_so_in_chinese(app):
    with app.app_context():
        case = a_case()
        withdraw(case)
        db.session.execute(update(Case).where(Case.id == case.id)
                           .values(completed_at=utcnow() - timedelta(days=DEFAULT_DAYS + 10)))
        db.session.commit()
    runner = app.test_cli_runner()
    assert "有 1 件已结束的办件到期" in runner.invoke(args=["purge-materials", "--dry-run"]).output
    result = runner.invoke(args=["purge-materials"])
    assert result.exit_code == 0 and "删除了 1 件已结束办件的材料" in result.output
    assert "删除了 0 件" in runner.invoke(args=["purge-materials"]).output


@pytest.mark.usefixtures("staff")
def test_a_purged_material_is_named_on_the_case_pages_and_its_link_says_why_it_is_gone(app, client):
    sign_in(client, "13900000001", "李秀英", ID_A)
    apply_fully(app, client)
    with app.app_context():
        case = db.session.scalar(select(Case))
        withdraw(case)
        case_id, number, key = case.id, case.number, materials(case.id)[0].key
        purge_due(now=utcnow() + LATER)
        views_before = db.session.query(AuditEntry).filter_by(action="view_file").count()
    page = text(client.get(f"/my/{number}"))
    assert "photo.jpg" in page and "材料已按保存期限于" in page and f"/files/{key}" not in page
    gone = client.get(f"/files/{key}")
    assert gone.status_code == 404 and "这份材料已按保存期限于" in text(gone) and "删除" in text(gone)
    clerk = login(app, "chengguan")
    page = text(clerk.get(f"/office/cases/{case_id}"))
    assert "photo.jpg" in page and "已按保存期限于" in page and f"/office/files/{key}" not in page
    gone = clerk.get(f"/office/files/{key}")
    assert gone.status_code == 404 and "这份材料已按保存期限于" in text(gone)
    with app.app_context():  # nothing was read, so no read is logged
        assert db.session.query(AuditEntry).filter_by(action="view_file").count() == views_before
