from sqlalchemy.orm import Session

SUMMARY_KEYS = {"code", "name", "section", "kind", "department", "level", "online",
                "promised_days", "visits"}


def test_services_lists_every_item_with_its_summary(client, catalog):
    data = client.get("/api/v1/services").get_json()
    assert data["count"] == len(catalog.items) == len(data["services"])
    for row in data["services"]:
        assert set(row) == SUMMARY_KEYS
    birth = next(r for r in data["services"] if r["code"] == "621027-BM-004")
    assert birth == {"code": "621027-BM-004", "name": "生育登记", "section": "convenience",
                     "kind": "apply", "department": "镇原县卫生健康局",
                     "level": ["county", "township", "village"], "online": True,
                     "promised_days": 1, "visits": 0}


def test_service_detail_is_the_whole_guide(client, catalog):
    data = client.get("/api/v1/services/621027-BM-007").get_json()
    item = catalog.get("621027-BM-007")
    assert data["name"] == item.name and data["online"] is False
    assert data["window"]["phone"] == item.window.phone
    assert [m["name"] for m in data["materials"]] == [m.name for m in item.materials]
    assert data["basis"] == item.basis and data["legal_days"] == item.legal_days
    assert data["fields"][0]["name"] == item.fields[0].name


def test_unknown_service_is_a_json_404(client):
    response = client.get("/api/v1/services/NOPE")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["status"] == 404


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "items": 41}


def test_healthz_reports_a_broken_database_as_503(client, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(Session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "error"
