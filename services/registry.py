"""The one place the domain finds what the application chose at start-up: the catalog and the
adapters to the outside world. Whoever starts the application builds a Registry and installs
it here (wsgi.create_app does, for each of its contexts); a test or a script can install its
own. Nothing in this module knows the web framework."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Registry:
    catalog: Any
    storage: Any = None
    sms: Any = None
    exchange: dict = field(default_factory=dict)  # department system key -> adapter
    exchange_secrets: dict = field(default_factory=dict)
    payment_provider: Any = None
    tax_channel: Any = None  # collects what the catalog says the tax bureau collects (Item.collector)
    carrier: Any = None
    business_registry: Any = None  # 市场主体登记信息 (services.people.business_registry)
    public_base_url: str = "http://localhost:8000"
    secret_key: str = ""
    keys: Any = None  # personal data's sealing and blind-index keys (services.sealing.Keys)
    audit_key: str = ""  # keys the audit log's chain (services.audit); derived from secret_key when unset
    production: bool = False  # sandboxes and simulated devices are refused in production


_active: Registry | None = None


def install(registry: Registry) -> None:
    global _active
    _active = registry


def registry() -> Registry:
    if _active is None:
        raise RuntimeError("services.registry: no registry installed")
    return _active
