"""The layering the README describes, kept by a test: the domain knows no web framework and no
front end; front ends hold no SQL and no transaction."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONT_ENDS = ("pwa", "office", "api", "kiosk", "agent")


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


SERVICES = sorted((ROOT / "services").rglob("*.py"))
VIEWS = sorted(p for front_end in FRONT_ENDS for p in (ROOT / front_end).glob("*.py"))


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_domain_knows_no_web_framework_and_no_front_end(path):
    bad = {name for name in imports(path)
           if name.split(".")[0] in ("flask", "flask_login", "flask_wtf", "web", *FRONT_ENDS)
           or (name.startswith("werkzeug") and not name.startswith("werkzeug.security"))}  # hashing is fine
    assert bad == set()


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_front_ends_hold_no_sql_and_no_transaction(path):
    text = path.read_text(encoding="utf-8")
    assert "db.session" not in text and "from sqlalchemy" not in text and "extensions.db" not in text
    assert not {name for name in imports(path) if name == "extensions.db"}
