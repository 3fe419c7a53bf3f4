import pytest
from sqlalchemy import func, select

from extensions import db
from services.errors import DomainError, NotFound
from services.feedback import GuideFeedback, feedback_counts, record_feedback

BIRTH = "621027-BM-004"


def count():
    return db.session.scalar(select(func.count()).select_from(GuideFeedback))


def test_same_token_twice_stores_one_feedback(app, catalog):
    with app.app_context():
        first = record_feedback(catalog, BIRTH, "tok-1", True, "很清楚")
        again = record_feedback(catalog, BIRTH, "tok-1", True, "很清楚")
        assert first.id == again.id
        assert count() == 1
        record_feedback(catalog, BIRTH, "tok-2", False, "")
        assert feedback_counts(BIRTH) == {"useful": 1, "not_useful": 1}


@pytest.mark.parametrize("useful,comment,token,field", [
    (None, "", "t", "useful"),
    (True, "字" * 201, "t", "comment"),
    (True, "", "", "token"),
])
def test_bad_feedback_is_refused_and_nothing_stored(app, catalog, useful, comment, token, field):
    with app.app_context():
        with pytest.raises(DomainError) as caught:
            record_feedback(catalog, BIRTH, token, useful, comment)
        assert caught.value.field == field
        assert count() == 0


def test_feedback_on_unknown_item_is_not_found(app, catalog):
    with app.app_context(), pytest.raises(NotFound):
        record_feedback(catalog, "NOPE", "t", True, "")
