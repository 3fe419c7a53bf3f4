"""The market-entity registry (市场主体登记信息): who an organisation is, by its 统一社会信用代码 —
its name, state and legal representative — as the province's data exchange shares it. Behind a
small adapter like every outside system; the sandbox answers from a file and says it is demo data."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

# GB 32100: the first two characters say who registered the organisation and what kind it is.
KINDS = {"91": "企业", "92": "个体工商户", "93": "农民专业合作社", "11": "机关", "12": "事业单位",
         "51": "社会团体", "52": "民办非企业单位", "53": "基金会", "54": "其他社会组织"}
ACTIVE = "存续"


def kind_of(uscc: str) -> str:
    return KINDS.get(uscc[:2], "其他组织")


@dataclass(frozen=True)
class Registered:
    uscc: str
    name: str
    legal_rep_name: str
    legal_rep_id_number: str
    address: str
    status: str  # 存续, 注销, 吊销 …
    demo: bool = False  # from the sandbox: shown as 演示数据

    @property
    def kind(self) -> str:
        return kind_of(self.uscc)


class SandboxBusinessRegistry:
    kind = "sandbox"
    is_sandbox = True
    available = True

    def __init__(self, path: str | Path):
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        self._entities = {e["uscc"]: Registered(**e, demo=True) for e in raw.get("entities", [])}

    def lookup(self, uscc: str) -> Registered | None:
        return self._entities.get(uscc)


class NoBusinessRegistry:
    """No link to the registry yet: organisations cannot be confirmed online, so 单位办事 says to
    apply at the window (a real choice for production, not a pretence)."""
    kind = "none"
    is_sandbox = False
    available = False

    def __init__(self, _sandbox_file=None):
        pass

    def lookup(self, uscc: str) -> Registered | None:
        return None


REGISTRIES = {"sandbox": SandboxBusinessRegistry, "none": NoBusinessRegistry}


def make_business_registry(name: str, sandbox_file: str | Path, production: bool):
    if name not in REGISTRIES:
        raise RuntimeError(f"未知的市场主体登记信息接口 BUSINESS_REGISTRY={name}")
    found = REGISTRIES[name](sandbox_file)
    if production and getattr(found, "is_sandbox", False):
        raise RuntimeError("APP_ENV=production 不能使用演示的市场主体登记信息（BUSINESS_REGISTRY=sandbox）")
    return found
