"""Sandbox department: answers from data/exchange/<system>.json for the demo people."""
from __future__ import annotations

import json
from pathlib import Path


class SandboxAdapter:
    kind = "sandbox"

    def __init__(self, system: str, directory: str | Path):
        self.system = system
        path = Path(directory) / f"{system}.json"
        self._records = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def notify(self, payload: dict, key: str) -> None:
        """A sandbox department takes every notice; the demo's timeline already shows them."""
        self.received = getattr(self, "received", {})
        self.received.setdefault(key, payload)

    def query(self, query: str, id_number: str, name: str) -> dict | None:
        """The department's record for this person, or None when it has none."""
        record = self._records.get(query, {}).get(id_number)
        if record is None or record.get("name") != name:
            return None
        return record
