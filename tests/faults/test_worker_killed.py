"""A gunicorn worker killed (kill -9) in the middle of a submission, and the phone sending the same
form again: exactly one case, and the second answer leads to it.

The phone's check page posts the draft's key (draft_key), made when the application was opened;
a retry, a double tap or the back button posts the same key, and the case is made once per key.
The worker is stopped by gunicorn_pause.py at the chosen point and killed by this test there:
killing "soon after sending" would hit a different point on every run."""
import os
import re
import signal
import threading
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy import select

from bench._server import gunicorn
from extensions import db
from services.cases.lifecycle import Case
from services.places import township_choices
from tests import factories, images
from tests.conftest import DEMO_CODE, csrf_token_from

HERE = Path(__file__).resolve().parent
BIRTH = "621027-BM-004"
ID_A = factories.id_number("19900303", "222")
FIELDS = {"wife_name": "李秀英", "wife_id_number": ID_A, "husband_name": "王建国",
          "husband_id_number": factories.id_number("19880808", "111"), "child_order": "第二个",
          "due_date": "2027-03-01", "address": "城关镇东关村三组", "phone": "13900000001"}


class Browser:
    """A phone's browser over real HTTP: it keeps its cookies and posts forms with their token."""

    def __init__(self, base: str):
        self.base, self.http = base, requests.Session()

    def url(self, path: str) -> str:
        return urljoin(self.base, path)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.url(path), allow_redirects=False, timeout=20)

    def post(self, path: str, data: dict, files=None) -> requests.Response:
        return self.http.post(self.url(path), data=data, files=files, allow_redirects=False, timeout=20)

    def fill(self, page: str, data: dict, files=None) -> requests.Response:
        """GET the page for its CSRF token, then POST the form back to it, as a browser would."""
        token = csrf_token_from(self.get(page).text)
        response = self.post(page, {"csrf_token": token, **data}, files)
        assert response.status_code == 303, response.text[:2000]
        return response


@pytest.fixture(scope="module")
def server(app, database_url, tmp_path_factory):
    """The real app under gunicorn, two workers, on the test database and upload folder, with
    the pause of gunicorn_pause.py: (its address, the folder a pause is armed in)."""
    folder = tmp_path_factory.mktemp("gunicorn")
    # The test app's key: what one seals or signs, the other opens. --preload: workers fork from an
    # app already loaded, so the one killed is replaced at once.
    env = {"DATABASE_URL": database_url, "UPLOAD_DIR": app.config["UPLOAD_DIR"], "SECRET_KEY": app.config["SECRET_KEY"],
           "INSTANCE_PATH": str(folder / "instance"), "FAULT_DIR": str(folder),
           "GUNICORN_CMD_ARGS": f"--preload --config {HERE / 'gunicorn_pause.py'}"}
    with gunicorn("wsgi:app", workers=2, env=env, ready_path="/healthz") as url:
        yield url, folder


def ready_to_submit(app, phone: Browser) -> dict:
    """Signed in with a real name, the form filled and the photo uploaded: the check page's form."""
    page = phone.fill("/signin?next=/", {"phone": "13900000001"}).headers["Location"]
    code = DEMO_CODE.search(phone.get(page).text).group(1)
    verify = phone.fill(page, {"code": code}).headers["Location"]
    if "/me/verify" in verify:
        phone.fill(verify, {"name": "李秀英", "id_number": ID_A})
    with app.app_context():
        township = township_choices()[0][0]
    phone.fill(f"/apply/{BIRTH}", {**FIELDS, "township_id": str(township)})
    phone.fill(f"/apply/{BIRTH}/materials", {"material": "pregnancy_proof"},
               files={"files": ("photo.jpg", images.photo_with_gps(), "image/jpeg")})
    check = phone.get(f"/apply/{BIRTH}/check").text
    return {"csrf_token": csrf_token_from(check),
            "draft_key": re.search(r'name="draft_key" value="([0-9a-f]+)"', check).group(1)}


def paused_worker(folder: Path, seconds: float = 15) -> int:
    """The pid of the worker waiting at the armed point."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (folder / "paused.pid").exists():
            return int((folder / "paused.pid").read_text())
        time.sleep(0.02)
    raise AssertionError("no worker reached the pause")


@pytest.mark.parametrize("killed_when", ["flushed", "committed"])
def test_a_worker_killed_mid_submission_and_the_form_sent_again_make_one_case(app, server, killed_when):
    url, folder = server
    phone = Browser(url)
    form = ready_to_submit(app, phone)
    (folder / "paused.pid").unlink(missing_ok=True)
    (folder / "armed").write_text(killed_when)
    first: dict = {}

    def submit():
        try:
            first["answer"] = phone.post(f"/apply/{BIRTH}/submit", form)
        except requests.ConnectionError as exc:
            first["error"] = exc

    sending = threading.Thread(target=submit)
    sending.start()
    os.kill(paused_worker(folder), signal.SIGKILL)
    sending.join(timeout=20)
    assert "error" in first, first  # the phone got no answer: the connection was cut

    again = phone.post(f"/apply/{BIRTH}/submit", form)  # the same form, the same key
    assert again.status_code == 303, again.text[:2000]
    with app.app_context():
        cases = db.session.scalars(select(Case).where(Case.idempotency_key == form["draft_key"])).all()
        assert len(cases) == 1 and db.session.scalars(select(Case)).all() == cases
        number = cases[0].number
    assert again.headers["Location"].endswith(f"/cases/{number}/receipt")
    receipt = phone.get(again.headers["Location"])
    assert receipt.status_code == 200 and number in receipt.text
