"""People using the app over HTTP through its real pages and forms, as a browser would: a villager
signs in by SMS code (the sandbox shows it on the page) and real name, applies for 户籍证明开具 and
submits; a staff member signs in with the demo password and an authenticator's code; anyone looks
a case up by its number and the last 4 digits of the ID number."""
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pyotp
import requests

ITEM = "621027-BM-008"  # 户籍证明开具: every answer typed in, no material to upload
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DEMO_CODE = re.compile(r'验证码 <span class="code big">(\d{6})</span>')
DRAFT_KEY = re.compile(r'name="draft_key" value="([^"]+)"')
RECEIPT = re.compile(r"/cases/(\w+)/receipt")
TOTP_SECRET = re.compile(r"data-secret>([A-Z2-7 ]+)<")
SAID = re.compile(r'role="alert">\s*<h1>[^<]*</h1>\s*<p>([^<]+)|class="[^"]*error[^"]*"[^>]*>\s*([^<\s][^<]{0,80})')


class Unexpected(Exception):
    """An answer a working app does not give: a status other than the expected one, or none."""

    def __init__(self, status, method: str, path: str, said: str = ""):
        super().__init__(f"{method} {path.split('?')[0]} -> {status} {said}".strip())
        self.status = status


class Browser:
    """One browser: its cookies, kept-alive connections, the CSRF token of its session, and the
    count of every status it was answered with."""

    def __init__(self, base: str):
        self.base, self.http, self.token, self.statuses = base, requests.Session(), None, Counter()

    def request(self, method: str, path: str, expect: int, data: dict | None = None) -> requests.Response:
        path = path.removeprefix(self.base)
        try:
            response = self.http.request(method, self.base + path, data=data, allow_redirects=False, timeout=60)
        except requests.RequestException:
            self.statuses["no answer"] += 1
            raise Unexpected("no answer", method, path) from None
        self.statuses[response.status_code] += 1
        if response.status_code != expect:
            said = SAID.search(response.text)
            raise Unexpected(response.status_code, method, path, (said.group(1) or said.group(2)).strip() if said else "")
        found = CSRF.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    def get(self, path: str, expect: int = 200) -> requests.Response:
        return self.request("GET", path, expect)

    def post(self, path: str, data: dict, expect: int = 303) -> requests.Response:
        return self.request("POST", path, expect, {"csrf_token": self.token, **data})

    def cookie_header(self) -> str:
        return "Cookie: " + "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)

    def look_up(self, number: str, last4: str) -> None:
        """办事进度查询 by number and last 4 digits, then the progress page it leads to."""
        self.get("/track")
        self.get(self.post("/track", {"case_number": number, "last4": last4}).headers["Location"])

    def staff_sign_in(self, username: str, password: str, totp_secret: str) -> None:
        """The password, then 两步验证 with a code made from the account's authenticator secret, as the
        app on a phone does; an account not enrolled yet enrols with the secret the page shows."""
        self.get("/office/login")
        step = self.post("/office/login", {"username": username, "password": password}).headers["Location"]
        if not step.rstrip("/").endswith("/office"):
            shown = TOTP_SECRET.search(self.get(step).text)
            secret = shown.group(1).replace(" ", "") if shown else totp_secret
            self.post(step, {"code": pyotp.TOTP(secret).now()}, expect=200 if shown else 303)  # 200: recovery codes
        self.get("/office/")


class Citizen(Browser):
    def sign_in(self, phone: str, name: str, id_number: str) -> "Citizen":
        """Phone, the code the sandbox shows, then real name (实名)."""
        self.phone, self.name, self.id_number = phone, name, id_number
        self.get("/signin")
        page = self.post("/signin", {"phone": phone}).headers["Location"]
        code = DEMO_CODE.search(self.get(page).text).group(1)
        verify = self.post(page, {"code": code}).headers["Location"]
        self.get(verify)
        self.post(verify, {"name": name, "id_number": id_number})
        return self

    def fill_in(self, township_id: int) -> str:
        """The form, its answers, the check page: the draft's key, which becomes the case's idempotency key."""
        self.get(f"/apply/{ITEM}")
        self.post(f"/apply/{ITEM}", {"township_id": township_id, "certificate_type": "户籍信息证明",
                                     "subject_name": self.name, "subject_id_number": self.id_number,
                                     "purpose": "办理银行开户", "phone": self.phone})
        return DRAFT_KEY.search(self.get(f"/apply/{ITEM}/check").text).group(1)

    def send(self, key: str) -> str:
        """提交: the case number of the receipt it leads to."""
        return RECEIPT.search(self.post(f"/apply/{ITEM}/submit", {"draft_key": key}).headers["Location"]).group(1)

    def double_tap(self, key: str) -> list[str]:
        """The same submission sent twice at once, as a double tap on a slow network does."""
        twin = Citizen(self.base)
        twin.http.cookies.update(self.http.cookies)
        twin.token = self.token
        try:
            with ThreadPoolExecutor(2) as pool:
                return list(pool.map(lambda browser: browser.send(key), (self, twin)))
        finally:
            self.statuses.update(twin.statuses)
