"""The exchange with department systems (部门业务系统): one small adapter per department,
chosen in configuration. `sandbox` (the default) answers from a demo data file in the repo;
`http` speaks signed JSON to the department's endpoint."""
from __future__ import annotations

import json
import os

from services.errors import DomainError
from services.exchange.http import HttpAdapter
from services.exchange.sandbox import SandboxAdapter

UNAVAILABLE = "部门系统暂时无法访问，请稍后再试"


class DepartmentUnavailable(DomainError):
    """Down, too slow, or answering wrongly: the person may simply try again."""
    status = 503

    def __init__(self, detail: str = ""):
        super().__init__(UNAVAILABLE)
        self.detail = detail


def _settings(config: dict) -> dict:
    """EXCHANGE as a dict, whether given as one (tests) or as JSON text (the environment)."""
    settings = config.get("EXCHANGE") or {}
    return json.loads(settings) if isinstance(settings, str) else settings


def adapters_from_config(config: dict, production: bool) -> dict:
    """`EXCHANGE` maps a system key to its settings, e.g.
    {"gjj": {"kind": "http", "url": "https://…", "secret_env": "GJJ_SECRET"}}; unnamed → sandbox."""
    settings = _settings(config)
    adapters = {}
    for system in config["EXCHANGE_SYSTEMS"]:
        conf = settings.get(system, {"kind": "sandbox"})
        if conf["kind"] == "http":
            secret = os.environ.get(conf.get("secret_env", ""), conf.get("secret", ""))
            if not secret:
                raise RuntimeError(f"部门系统 {system} 缺少签名密钥（{conf.get('secret_env')}）")
            adapters[system] = HttpAdapter(system, conf["url"], secret, timeout=conf.get("timeout", 3.0))
        elif conf["kind"] == "sandbox":
            if production:
                raise RuntimeError(f"APP_ENV=production 不能使用部门系统 {system} 的演示接口（sandbox）")
            adapters[system] = SandboxAdapter(system, config["EXCHANGE_SANDBOX_DIR"])
        else:
            raise RuntimeError(f"部门系统 {system} 的接口类型 {conf['kind']} 不认识")
    return adapters


def secrets_from_config(config: dict, production: bool) -> dict:
    """The secret each department system signs its requests to us with."""
    settings = _settings(config)
    secrets = {}
    for system in config["EXCHANGE_SYSTEMS"]:
        conf = settings.get(system, {"kind": "sandbox"})
        if conf["kind"] == "http":
            secrets[system] = os.environ.get(conf.get("secret_env", ""), conf.get("secret", ""))
        elif not production:
            secrets[system] = f"sandbox-{system}"  # demo only: production has no sandbox
    return secrets


class DepartmentSender:
    """The outbox's channel to department systems: one message, one signed notice — to the
    webhook the department registered, or else through its adapter."""

    def __init__(self, adapters: dict, secrets: dict | None = None):
        self.adapters, self.secrets = adapters, secrets or {}

    def send(self, system: str, payload: dict, key: str) -> None:
        from services.exchange import keys, webhooks

        hook = webhooks.webhook_of(system)
        if hook is None:
            self.adapters[system].notify(payload, key)
            return
        key_id, secret = keys.signing_key(system) or (None, self.secrets.get(system))
        if not secret:
            raise RuntimeError(f"部门系统 {system} 没有可用于签名的密钥")
        webhooks.post(hook.url, key_id, secret, payload, key)
