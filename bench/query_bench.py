"""The 公积金 query page (signed in, sandbox department) by wrk, as a share of bare Flask,
alternating three rounds each so both sides see the same machine."""
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _server import app_server, gunicorn  # noqa: E402
from http_bench import wrk  # noqa: E402

QUERY = "/query/621027-BM-001"


def signed_in_cookie(app) -> str:
    from commands import DATA, seed_demo_people

    with app.app_context():
        seed_demo_people(DATA / "demo_people.toml")
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/signin").get_data(as_text=True)).group(1)
    client.post("/signin", data={"csrf_token": token, "phone": "13900000002"})
    page = client.get("/signin/code").get_data(as_text=True)
    code = re.search(r"验证码 <span class=\"code big\">(\d{6})", page).group(1)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/signin/code", data={"csrf_token": token, "code": code})
    assert "45,210.80" in client.get(QUERY).get_data(as_text=True)
    return client.get_cookie("session").value


def main() -> None:
    duration = sys.argv[1] if len(sys.argv) > 1 else "8s"
    with app_server(prepare=signed_in_cookie) as (base, cookie), gunicorn("bench.hello:app") as hello:
        rounds = [(wrk(hello + "/", duration=duration),
                   wrk(base + QUERY, headers=(f"Cookie: session={cookie}",), duration=duration)) for _ in range(3)]
    ratio = statistics.median(q[0] / h[0] for h, q in rounds)
    print(f"bare Flask: {statistics.median(h[0] for h, _ in rounds):.0f} req/s; query page: "
          f"{statistics.median(q[0] for _, q in rounds):.0f} req/s, p99 up to {max(q[1] for _, q in rounds)}; "
          f"median ratio {ratio:.0%} of bare Flask (each query is also an audit-log row)")


if __name__ == "__main__":
    main()
