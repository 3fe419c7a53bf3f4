from pathlib import Path

from services.places import list_townships, load_townships

DATA = Path(__file__).resolve().parents[2] / "data" / "townships.toml"


def test_townships_load_once_and_list_in_code_order(app):
    with app.app_context():  # the clean_db fixture already loaded them once
        assert load_townships(DATA) == 0
        townships = list_townships()
        assert len(townships) == 19
        assert townships[0]["name"] == "城关镇"
        assert set(townships[0]) == {"name", "center_address", "phone", "hours"}
