"""`flask seed`'s demo cases: made through the real lifecycle, once, in the order they came in."""
from sqlalchemy import func, select

from extensions import db
from services.cases.demo import seed_demo_cases
from services.cases.lifecycle import Case
from services.cases.ratings import Rating
from services.clock import today
from services.outbox import OutboxMessage


def test_demo_cases_cover_every_state_once_and_in_order(app, catalog):
    with app.app_context():
        made = seed_demo_cases(catalog, count=40)
        assert made == 60 and seed_demo_cases(catalog) == 0  # twice: nothing more
        cases = db.session.scalars(select(Case).order_by(Case.id)).all()
        assert {"submitted", "accepted", "completed", "not_accepted", "withdrawn"} <= {c.status for c in cases}
        assert [c.submitted_at for c in cases] == sorted(c.submitted_at for c in cases)
        assert [c.number[2:8] for c in cases] == sorted(c.number[2:8] for c in cases)
        done = [c for c in cases if c.status == "completed"]
        assert all(c.completed_on <= today() and c.completed_on >= c.accepted_on for c in done)
        assert any(c.completed_on.year < today().year or (today() - c.completed_on).days > 300 for c in done)
        assert db.session.scalar(select(func.count()).select_from(Rating)) > 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # nobody is told
