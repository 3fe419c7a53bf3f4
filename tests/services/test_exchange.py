import time

import pytest

from services.exchange import DepartmentUnavailable
from services.exchange.http import HttpAdapter, sign, verify
from tests.fake_department import FakeDepartment, Running

SECRET = "shared-secret-for-tests"
RECORD = {"name": "王建国", "balance": 45210.8}


@pytest.fixture
def department():
    fake = FakeDepartment(SECRET, {"housing_fund": {"622827196508201136": RECORD}})
    running = Running(fake)
    yield running
    running.stop()


def adapter(url, secret=SECRET, timeout=1.0):
    return HttpAdapter("gjj", url, secret, timeout=timeout)


def test_signatures_cover_time_and_body_and_expire_after_five_minutes():
    now = int(time.time())
    body = b'{"a": 1}'
    good = sign(SECRET, str(now), body)
    assert verify(SECRET, str(now), good, body)
    assert not verify(SECRET, str(now), good, b'{"a": 2}')  # tampered body
    assert not verify("other", str(now), good, body)
    old = str(now - 301)
    assert not verify(SECRET, old, sign(SECRET, old, body), body)  # a replay
    assert not verify(SECRET, None, good, body)


def test_a_signed_answer_comes_back(department):
    assert adapter(department.url).query("housing_fund", "622827196508201136", "王建国") == RECORD
    assert adapter(department.url).query("housing_fund", "622827195803150023", "张桂兰") is None


def test_a_slow_department_times_out_once_without_retrying(department):
    department.department.mode, department.department.delay = "slow", 2.0
    started = time.monotonic()
    with pytest.raises(DepartmentUnavailable) as caught:
        adapter(department.url, timeout=0.5).query("housing_fund", "622827196508201136", "王建国")
    assert time.monotonic() - started < 1.5
    assert department.department.calls == 1
    assert caught.value.message == "部门系统暂时无法访问，请稍后再试"


def test_a_failing_department_is_retried_a_bounded_number_of_times(department):
    department.department.mode = "fail"
    with pytest.raises(DepartmentUnavailable):
        adapter(department.url).query("housing_fund", "622827196508201136", "王建国")
    assert department.department.calls == 3


def test_a_badly_signed_answer_is_refused_and_logged(department, caplog):
    department.department.mode = "bad_signature"
    with pytest.raises(DepartmentUnavailable):
        adapter(department.url).query("housing_fund", "622827196508201136", "王建国")
    assert "signature refused" in caplog.text


def test_a_request_with_the_wrong_secret_is_refused_by_the_department_and_not_retried(department):
    with pytest.raises(DepartmentUnavailable):
        adapter(department.url, secret="wrong").query("housing_fund", "622827196508201136", "王建国")
    assert department.department.calls == 1


def test_a_department_that_is_down_is_unavailable():
    with pytest.raises(DepartmentUnavailable):
        adapter("http://127.0.0.1:9").query("housing_fund", "622827196508201136", "王建国")
