"""The forms every front end posts, as input models (see web.inputs). A kiosk or an agent page
posting the same form uses the same model, so the same input is refused the same way."""
from typing import Annotated

from pydantic import Field

from services import inputs
from services.cases.numbers import normalise_case_number
from services.feedback import COMMENT_MAX
from services.kiosks import READERS
from services.people.staff import ROLES

from .inputs import (
    Choice,
    IdNumber,
    Input,
    Integer,
    OptionalInteger,
    Password,
    PersonName,
    Phone,
    SmsCode,
    Text,
    Token,
    rule,
)

MaterialKey = Text(40)


class PhoneInput(Input):
    phone: Phone


class CodeInput(Input):
    code: SmsCode


class RealNameInput(Input):
    name: PersonName
    id_number: IdNumber


class FeedbackInput(Input):
    useful: Choice("1", "0", message="请选择“有用”或“没用”")
    comment: Text(COMMENT_MAX, multiline=True)
    token: Token


class MaterialUpload(Input):
    material: MaterialKey


class TrackLookupInput(Input):
    """Both are checked at once, so both problems show together."""
    case_number: Annotated[str, rule(normalise_case_number)]
    last4: Annotated[str, rule(inputs.last4)]


class BookingInput(Input):
    who: Choice("self", "family", message="请选择给谁预约")
    patient_name: Text(40)
    patient_id_number: Text(40)


class PayInput(Input):
    grade: Text(40)
    members: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=50)] = []
    key: Token


class SandboxPayInput(Input):
    choice: Choice("pay", "cancel", message="请选择支付或取消")


class CheckInInput(Input):
    code: Text(64, required=True, label="预约二维码")


class QueueQuery(Input):
    status: Text(20)
    item: Text(40)


class PageQuery(Input):  # apart: a bad page number must not drop the filters beside it
    page: OptionalInteger(1, 100_000)


Level = Choice("1", "2", "3", "4", "5", message="请选择一个评价等级")
OptionalLevel = Choice("", "1", "2", "3", "4", "5", message="评价等级须在 1 到 5 之间")


class RatingInput(Input):
    overall: Level
    efficiency: OptionalLevel
    guide: OptionalLevel
    convenience: OptionalLevel
    platform: OptionalLevel
    comment: Text(500, multiline=True)


class RectificationAnswerInput(Input):
    answer: Text(1000, multiline=True, required=True, label="核实情况和整改措施")


class CallbackInput(Input):
    result: Text(12)
    note: Text(500, multiline=True)


class SupervisionQuery(Input):
    start: Text(10)
    end: Text(10)
    base_start: Text(10)
    base_end: Text(10)


class PublicCasesQuery(Input):
    township: OptionalInteger(1, 2**31 - 1)
    department: Text(80)
    item: Text(40)
    before: OptionalInteger(1, 2**62)
    after: OptionalInteger(1, 2**62)


class PowersQuery(Input):
    q: Text(50)
    department: Text(20)
    kind: Text(20)


class StaffLoginInput(Input):
    username: Text(40, required=True, label="用户名")
    password: Password


class SecondStepInput(Input):
    code: Text(20, required=True, label="验证码")


class EnrolInput(Input):
    enrolment_code: Text(20, required=True, label="开通码")
    code: Text(20, required=True, label="验证码")


class PasswordChangeInput(Input):
    current: Password
    password: Password


class ThrottleClearInput(Input):
    key: Text(120, required=True, label="记录")


class AccountInput(Input):
    username: Text(40, required=True, label="用户名")
    name: PersonName
    role: Choice(*ROLES, message="请选择角色")
    township_id: OptionalInteger(1, 2**31 - 1)
    department: Text(80)
    password: Password


class CalendarInput(Input):
    year: Integer(2001, 2099, message="请填写四位年份，如 2027")
    source: Text(200, required=True, label="依据（通知文号）")
    arrangement: Text(5000, multiline=True, required=True, label="放假和调休安排")


class CaseActionInput(Input):
    note: Text(500, multiline=True)
    decision: Text(10)
    materials: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=50)] = []
    method: Text(20)
    tracking_number: Text(30)


class RealNameCorrection(Input):
    name: PersonName
    id_number: IdNumber
    reason: Text(200, required=True, label="更正原因")


def uploaded_files(request, name: str = "files") -> list[tuple[str, bytes]]:
    """(file name, bytes) of every file chosen in one file input; empty choices dropped."""
    return [(f.filename or "", f.read()) for f in request.files.getlist(name) if f and f.filename]


class KioskInput(Input):
    name: Text(40, required=True, label="终端名称")
    township_id: Integer(1, 2**31 - 1, message="请选择乡镇")
    reader: Choice(*READERS, message="请选择读卡器")
    reader_url: Text(200)


class ResidentInput(Input):
    """An agent records a resident and the consent asked of them."""
    name: PersonName
    id_number: IdNumber
    phone: Text(20)  # none: the resident has no phone (the paper path)
    item: Text(40)  # none: every item an agent may do
    months: Choice("1", "3", "6", "12", message="请选择委托期限")


class EvidenceInput(Input):
    kind: Choice("signature", "letter", message="请选择要上传的内容")


class ConfirmInput(Input):
    decision: Choice("agree", "refuse", message="请选择确认或不确认")
    reason: Text(200)


class AgentInput(Input):
    username: Text(40, required=True, label="用户名")
    name: PersonName
    village_id: Integer(1, 2**31 - 1, message="请选择村")
    role: Choice("agent", "committee", message="请选择身份")
    password: Password


class PaperInput(Input):
    keys: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=50)] = []
    received_by: Text(30)
    note: Text(300, multiline=True)


class OrganisationInput(Input):
    uscc: Annotated[str, rule(inputs.credit_code)]


class OrganisationDetailsInput(Input):
    address: Text(120, required=True, label="经营场所")
    contact_name: PersonName
    contact_phone: Phone


class AuthoriseInput(Input):
    """The legal representative authorises a person to act for the organisation (经办人)."""
    name: PersonName
    id_number: IdNumber
    months: Choice("1", "3", "6", "12", message="请选择授权期限")
