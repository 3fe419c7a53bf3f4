"""权责清单: each department's list of powers and duties, one TOML file per department beside the
catalog (powers/), validated at start-up like it: a broken file stops start-up naming the file
and the field, and an entry naming a catalog item must name one that exists."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, model_validator

from services.catalog import Catalog, Level, Strict, Text
from services.errors import CatalogError, NotFound

WHAT = "权责清单文件"
KIND_NAMES = {
    "licensing": "行政许可", "penalty": "行政处罚", "coercion": "行政强制", "levy": "行政征收",
    "benefit": "行政给付", "inspection": "行政检查", "confirmation": "行政确认", "reward": "行政奖励",
    "adjudication": "行政裁决", "other": "其他行政权力", "public_service": "公共服务",
}
Kind = Annotated[str, Field(pattern="^(" + "|".join(KIND_NAMES) + ")$")]
Code = Annotated[str, Field(pattern=r"^[0-9A-Z][0-9A-Z\-]{3,39}$")]


class Power(Strict):
    code: Code
    name: Text
    kind: Kind
    basis: Annotated[list[Text], Field(min_length=1)]  # 设定依据
    body: Text  # 实施主体
    levels: Annotated[list[Level], Field(min_length=1)]  # 行使层级
    duties: Annotated[list[Text], Field(min_length=1)]  # 责任事项
    accountability: list[Text] = []  # 追责情形
    item: Code | None = None  # the matching catalog item
    note: str = ""

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


class DepartmentList(Strict):
    department: Text
    order: int = 100
    powers: Annotated[list[Power], Field(min_length=1)]

    @model_validator(mode="after")
    def codes_unique(self):
        codes = [p.code for p in self.powers]
        if len(codes) != len(set(codes)):
            raise ValueError("powers 中有重复的 code")
        return self


class Powers:
    """Every department's list, in memory: a few hundred rows read by public pages."""

    def __init__(self, lists: list[tuple[str, DepartmentList]]):
        self.departments = sorted(lists, key=lambda pair: (pair[1].order, pair[0]))  # (key, list)
        self._by_code = {p.code: (key, p) for key, dl in self.departments for p in dl.powers}
        self._by_item = {p.item: p for _, dl in self.departments for p in dl.powers if p.item}

    def department(self, key: str) -> DepartmentList:
        found = next((dl for k, dl in self.departments if k == key), None)
        if found is None:
            raise NotFound("没有找到这个部门的权责清单")
        return found

    def get(self, code: str) -> tuple[str, Power]:
        found = self._by_code.get(code)
        if found is None:
            raise NotFound("没有找到这项权力事项，可能编码有误或已调整")
        return found

    def for_item(self, item_code: str) -> Power | None:
        return self._by_item.get(item_code)

    def kinds(self) -> list[tuple[str, str, int]]:
        """(kind, its name, how many entries) for every kind that has entries, in the standard order."""
        counts = {k: 0 for k in KIND_NAMES}
        for _, dl in self.departments:
            for p in dl.powers:
                counts[p.kind] += 1
        return [(k, KIND_NAMES[k], n) for k, n in counts.items() if n]

    def find(self, query: str = "", department: str = "", kind: str = "") -> list[tuple[str, Power]]:
        """Entries whose name, code, basis or body hold every term of the query, of one
        department and one kind when given: (department key, entry) in list order."""
        terms = query.lower().split()
        found = []
        for key, dl in self.departments:
            if department and key != department:
                continue
            for p in dl.powers:
                if kind and p.kind != kind:
                    continue
                text = " ".join([p.code, p.name, p.body, dl.department, *p.basis]).lower()
                if all(t in text for t in terms):
                    found.append((key, p))
        return found


def _load_file(path: Path) -> DepartmentList:
    shown = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CatalogError(shown, "(整个文件)", "不是 UTF-8 编码", WHAT)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(shown, "(语法)", f"TOML 语法错误：{exc}", WHAT)
    try:
        return DepartmentList.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CatalogError(shown, ".".join(str(p) for p in first["loc"]) or "(整个文件)", first["msg"], WHAT)


def load_powers(directory: str | Path, catalog: Catalog) -> Powers:
    """Every list, checked against each other and the catalog: codes unique across lists, an
    entry's item a catalog item, no item claimed twice, and every item a person can apply for or
    query (便民、审批服务) matched by an entry, so that its guide can link to it."""
    directory = Path(directory)
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise CatalogError(str(directory), "(目录)", "没有任何权责清单文件", WHAT)
    lists, codes, items = [], {}, {}
    for path in paths:
        if not path.stem.isascii() or not path.stem.replace("_", "").isalnum():
            raise CatalogError(path.name, "(文件名)", "文件名只能用英文字母、数字和下划线", WHAT)
        dl = _load_file(path)
        for i, p in enumerate(dl.powers):
            where = f"powers.{i}"
            if p.code in codes:
                raise CatalogError(path.name, f"{where}.code", f"编码 {p.code} 与 {codes[p.code]} 重复", WHAT)
            codes[p.code] = path.name
            if p.item is None:
                continue
            try:
                catalog.get(p.item)
            except NotFound:
                raise CatalogError(path.name, f"{where}.item", f"事项目录中没有 {p.item}", WHAT)
            if p.item in items:
                raise CatalogError(path.name, f"{where}.item", f"{p.item} 已对应 {items[p.item]}", WHAT)
            items[p.item] = f"{path.name} 的 {p.code}"
        lists.append((path.stem, dl))
    for item in catalog.items:
        if item.section != "special" and item.code not in items:
            raise CatalogError(paths[0].parent.name, "item", f"事项 {item.code}（{item.name}）在权责清单中没有对应的条目", WHAT)
    return Powers(lists)
