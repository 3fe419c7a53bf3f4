"""The catalog of service items (事项): one TOML file per item, validated at start-up."""
from __future__ import annotations

import tomllib
from enum import Enum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.errors import CatalogError, NotFound

Text = Annotated[str, Field(min_length=1)]


class Section(str, Enum):
    convenience = "convenience"
    approval = "approval"
    special = "special"


class Kind(str, Enum):
    query = "query"
    apply = "apply"
    appointment = "appointment"
    payment = "payment"


class Level(str, Enum):
    county = "county"
    township = "township"
    village = "village"


class Channel(str, Enum):
    online = "online"
    kiosk = "kiosk"
    window = "window"
    agent = "agent"


class Delivery(str, Enum):
    electronic = "electronic"
    window = "window"
    post = "post"
    none = "none"


class MaterialForm(str, Enum):
    original = "original"
    copy = "copy"
    original_and_copy = "original_and_copy"
    electronic = "electronic"


class FieldType(str, Enum):
    text = "text"
    textarea = "textarea"
    date = "date"
    number = "number"
    select = "select"
    phone = "phone"
    id_number = "id_number"
    name = "name"  # a person's name, as on an ID card
    integer = "integer"
    money = "money"  # yuan, at most two decimals
    digits = "digits"  # an account or card number
    uscc = "uscc"  # 统一社会信用代码


ORGANISATION_PREFILL = {"org_name", "uscc", "legal_rep", "org_address", "contact_name", "contact_phone"}
SECTION_NAMES = {"convenience": "便民服务", "approval": "审批服务", "special": "专项服务"}
KIND_NAMES = {"query": "查询", "apply": "申请办理", "appointment": "预约", "payment": "缴费"}
LEVEL_NAMES = {"county": "县级", "township": "乡镇", "village": "村"}
CHANNEL_NAMES = {
    "online": "手机网上办", "kiosk": "乡镇自助终端", "window": "窗口办理", "agent": "村代办员代办",
}
DELIVERY_NAMES = {
    "electronic": "电子结果（网上查看、下载）", "window": "窗口领取", "post": "免费邮寄（一键物流）",
    "none": "即时办结，无需送达",
}
FORM_NAMES = {
    "original": "原件", "copy": "复印件", "original_and_copy": "原件和复印件", "electronic": "电子件",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class Material(Strict):
    key: Key  # stored with uploads and 补正 requests: stable when the list is re-ordered
    name: Text
    required: bool = True
    form: MaterialForm = MaterialForm.original
    copies: int = Field(default=1, ge=0, le=20)
    waived: bool = False
    waived_note: str = ""
    note: str = ""

    @model_validator(mode="after")
    def waived_says_why(self):
        if self.waived and not self.waived_note:
            raise ValueError("免提交的材料须在 waived_note 写明由哪里共享核验")
        return self


class FormField(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Text
    type: FieldType = FieldType.text
    required: bool = True
    help: str = ""
    options: list[Text] = []
    # From the signed-in person, or (an organisation's item) from the organisation they act for.
    prefill: Literal["name", "id_number", "phone", "org_name", "uscc", "legal_rep", "org_address",
                     "contact_name", "contact_phone"] | None = None
    min: Annotated[int, Field(ge=0)] = 0  # integer and money fields
    max: Annotated[int, Field(ge=0)] = 1_000_000_000
    sex: Literal["female", "male"] | None = None  # id_number fields: whose number it must be
    min_age: Annotated[int, Field(ge=0, le=150)] | None = None  # id_number fields
    # Asked one question per screen (the kiosk): neighbouring fields with the same `ask` make one
    # question, titled so (a person's name and ID number); a field without one is its own.
    ask: Text | None = None

    @model_validator(mode="after")
    def select_has_options(self):
        if self.type == FieldType.select.value and not self.options:
            raise ValueError("select 类型的字段须列出 options")
        if (self.sex or self.min_age is not None) and self.type != FieldType.id_number.value:
            raise ValueError("sex 和 min_age 只用于 id_number 类型的字段")
        if self.min > self.max:
            raise ValueError("min 不能大于 max")
        return self


class Window(Strict):
    name: Text
    address: Text
    hours: Text
    phone: Annotated[str, Field(pattern=r"^[0-9\-]{7,20}$")]


class FeeRow(Strict):
    label: Text
    amount: Annotated[float, Field(ge=0)]
    note: str = ""


class GuideSection(Strict):
    title: Text
    body: Text


class Item(Strict):
    code: Annotated[str, Field(pattern=r"^[0-9A-Z][0-9A-Z\-]{2,39}$")]
    name: Text
    short_name: str = ""
    section: Section
    kind: Kind
    department: Text
    levels: Annotated[list[Level], Field(min_length=1)]
    level_note: str = ""
    # 三级贯通: the level that accepts (受理) and the level that decides (审批), when they differ
    # or matter: 低保 is accepted by the township and decided by the county's department (the
    # item's `department`). Unset: whoever handles the item's cases may do every step.
    accepts: Literal["township", "county"] | None = None
    decides: Literal["township", "county"] | None = None
    # Who applies: a person, or an organisation (法人: a company, a cooperative, an individual
    # business) through its legal representative or a person it authorised.
    applicant: Literal["person", "organisation"] = "person"
    # 并联审批: departments that each give an opinion after 受理, before `department` decides.
    parallel: list[Text] = []
    summary: Text
    keywords: list[Text] = []
    basis: Annotated[list[Text], Field(min_length=1)]
    conditions: Annotated[list[Text], Field(min_length=1)]
    materials: list[Material] = []
    fields: list[FormField] = []
    # Groups of fields that must hold different values (two people's ID numbers).
    distinct: list[Annotated[list[str], Field(min_length=2)]] = []
    legal_days: Annotated[int, Field(ge=0, le=365)]
    promised_days: Annotated[int, Field(ge=0, le=365)]
    fee: Text
    fee_schedule: list[FeeRow] = []
    visits: Annotated[int, Field(ge=0, le=5)]
    visits_note: str = ""
    channels: Annotated[list[Channel], Field(min_length=1)]
    delivery: Annotated[list[Delivery], Field(min_length=1)]
    window: Window
    steps: Annotated[list[Text], Field(min_length=1)]
    sections: list[GuideSection] = []
    entry: Literal["track", "public_cases", "powers"] | None = None  # an online entry other than applying
    # Never on the public case list (办件公示): its cases would tell what no neighbour should know.
    confidential: bool = False
    confidential_note: str = ""
    system: Annotated[str, Field(pattern=r"^[a-z]{2,12}$")] | None = None  # the department system
    query: Literal["housing_fund", "pension", "subsidies"] | None = None  # what a query item asks
    # How a payment item's amount comes from fee_schedule: one chosen row, or row one per person.
    payment: Literal["grade", "per_person"] | None = None
    # Where a payment item's money goes: our payment provider, or the tax bureau (税务), which
    # collects 城乡居民养老保险 and 医保 contributions — the site then hands off to its channel.
    collector: Literal["provider", "tax"] = "provider"
    collector_note: str = ""
    order: int = 100

    @model_validator(mode="after")
    def consistent(self):
        if self.promised_days > self.legal_days:
            raise ValueError("promised_days 承诺时限不能超过 legal_days 法定时限")
        if self.visits > 0 and not self.visits_note:
            raise ValueError("需到现场的事项须在 visits_note 写明为什么要到现场")
        if self.query and not self.system:
            raise ValueError("query 事项须写明 system（部门业务系统）")
        if self.kind == Kind.payment.value and not (self.payment and self.fee_schedule):
            raise ValueError("payment 事项须写明 payment 方式和 fee_schedule 收费标准")
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError("fields 中有重复的 name")
        if any(name not in names for group in self.distinct for name in group):
            raise ValueError("distinct 中有不存在的字段")
        if self.kind == "apply" and self.section == "convenience" and Channel.agent.value not in self.channels:
            raise ValueError("网上申请的便民事项都可由村代办员代办：channels 须包含 agent")
        if (self.accepts is None) != (self.decides is None):
            raise ValueError("accepts 和 decides 须同时写明（受理层级和审批层级）")
        if self.accepts and not {self.accepts, self.decides} <= set(self.levels):
            raise ValueError("accepts 和 decides 须是 levels 中的层级")
        if self.accepts == "county" and self.decides == "township":
            raise ValueError("县级受理的事项不能由乡镇审批")
        if len(set(self.parallel)) != len(self.parallel) or self.department in self.parallel:
            raise ValueError("parallel 中的部门不能重复，也不能是作出决定的 department")
        if self.applicant == "person" and any(f.prefill in ORGANISATION_PREFILL for f in self.fields):
            raise ValueError("只有单位申请的事项（applicant = \"organisation\"）才能从单位信息预填")
        if self.kind == "apply" and self.section == "approval" and Channel.online.value in self.channels \
                and self.applicant != "organisation":
            raise ValueError("网上申请的审批事项目前只对单位开放：须写 applicant = \"organisation\"")
        if Channel.online.value in self.channels and not self.online_here:
            raise ValueError("channels 含 online，但本系统还不能网上办理这个事项：上线前不能写 online（指南不能说全程网办）")
        if Channel.agent.value in self.channels and not self.by_agent:
            raise ValueError("channels 含 agent，但村代办员不能代办这个事项（单位事项，或不能网上申请）：指南不能说可代办")
        if self.collector == "tax" and (self.kind != Kind.payment.value or not self.collector_note):
            raise ValueError("税务征收（collector = \"tax\"）只用于缴费事项，并须在 collector_note 写明征收部门和渠道")
        if self.confidential and not self.confidential_note:
            raise ValueError("不予公示的事项须在 confidential_note 写明理由")
        keys = [m.key for m in self.materials]
        if len(keys) != len(set(keys)):
            raise ValueError("materials 中有重复的 key")
        return self

    @property
    def applied_for_online(self) -> bool:
        """Convenience items of kind `apply`, and approval items organisations apply for whose
        channels name `online`; the rest at the window."""
        return self.kind == "apply" and (self.section == "convenience" or self.section == "approval"
                                         and self.applicant == "organisation"
                                         and Channel.online.value in self.channels)

    @property
    def by_agent(self) -> bool:
        """A village agent may do it for a resident, with their consent: every item applied for
        online, and the others whose channels name `agent`."""
        if self.applicant == "organisation":
            return False
        return self.applied_for_online or self.kind != "apply" and Channel.agent.value in self.channels

    @property
    def queried_online(self) -> bool:
        """A query answered at once online: it names the department system's query."""
        return self.kind == "query" and bool(self.query)

    def material(self, key: str) -> Material | None:
        return next((m for m in self.materials if m.key == key), None)

    @property
    def forwarded(self) -> bool:
        """Accepted at the township, decided at the county: the township forwards it (报县级审批)."""
        return self.accepts == "township" and self.decides == "county"

    @property
    def online_here(self) -> bool:
        """What a person can do on this site end to end: apply (便民), a query the department
        answers at once, pay, book, or a special service's own page."""
        return (self.applied_for_online or self.queried_online or self.kind in ("payment", "appointment")
                or self.entry is not None)

    @property
    def fully_online(self) -> bool:
        return self.visits == 0 and Channel.online.value in self.channels

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def required_materials(self) -> list[Material]:
        return [m for m in self.materials if not m.waived]

    @property
    def waived_materials(self) -> list[Material]:
        return [m for m in self.materials if m.waived]

    def summary_dict(self) -> dict:
        return {
            "code": self.code, "name": self.name, "section": self.section, "kind": self.kind,
            "department": self.department, "level": list(self.levels),
            "online": self.fully_online, "promised_days": self.promised_days,
            "visits": self.visits,
        }

    def guide_dict(self) -> dict:
        data = self.model_dump(mode="json", exclude={"order", "entry", "system", "query", "payment",
                                                                "confidential", "confidential_note",
                                                                "accepts", "decides", "parallel"})
        data["online"] = self.fully_online
        data["level"] = data.pop("levels")
        return data


def _field_path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(整个文件)"


def load_item(path: Path) -> Item:
    shown = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CatalogError(shown, "(整个文件)", "不是 UTF-8 编码")
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(shown, "(语法)", f"TOML 语法错误：{exc}")
    try:
        item = Item.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CatalogError(shown, _field_path(first["loc"]), first["msg"])
    if path.stem != item.code:
        raise CatalogError(shown, "code", f"文件名须与事项编码一致（应为 {item.code}.toml）")
    return item


class Catalog:
    """All items, in memory: the catalog is small and read on every public page."""

    def __init__(self, items: list[Item]):
        self.items = sorted(items, key=lambda i: (i.section, i.order, i.code))
        self._by_code = {i.code: i for i in self.items}

    def get(self, code: str) -> Item:
        item = self._by_code.get(code)
        if item is None:
            raise NotFound("没有找到这个事项，可能编码有误或已调整")
        return item

    def in_section(self, section: str) -> list[Item]:
        return [i for i in self.items if i.section == section]

    def search(self, query: str) -> list[Item]:
        """Every term of the query must match; name matches rank above keyword matches."""
        terms = query.split()
        if not terms:
            return []
        scored = []
        for item in self.items:
            score = 0
            for term in terms:
                s = _term_score(item, term)
                if s == 0:
                    break
                score += s
            else:
                scored.append((-score, item.section, item.order, item))
        scored.sort(key=lambda row: row[:3])
        return [row[3] for row in scored]

    def stats(self) -> dict:
        online = sum(1 for i in self.items if i.fully_online)
        return {"items": len(self.items), "fully_online": online}


def _term_score(item: Item, term: str) -> int:
    term = term.lower()
    if item.name.startswith(term) or item.short_name.startswith(term):
        return 4
    if term in item.name or term in item.short_name:
        return 3
    if any(term in k for k in item.keywords) or term == item.code.lower():
        return 2
    if term in item.department or term in item.summary:
        return 1
    return 0


def load_catalog(directory: str | Path) -> Catalog:
    directory = Path(directory)
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise CatalogError(str(directory), "(目录)", "没有任何事项文件")
    items = [load_item(p) for p in paths]
    seen: dict[str, str] = {}
    for path, item in zip(paths, items):
        if item.name in seen:
            raise CatalogError(path.name, "name", f"与 {seen[item.name]} 重名")
        seen[item.name] = path.name
    return Catalog(items)
