"""并联审批: after 受理, the departments an item names (`Item.parallel`) each give their opinion
on the case at the same time, beside the department that decides (the item's `department`); it
decides once all have. The deadline is the case's one clock; each opinion is an event on the
timeline."""
from __future__ import annotations

from services.errors import IllegalTransition
from services.inputs import InvalidInput

OPINIONS = {"approved": "同意", "denied": "不同意"}


def opinions(case) -> dict[str, object]:
    """department -> the event of its latest opinion, of this case."""
    return {e.data.get("department"): e for e in case.events if e.action == "opinion"}


def _revisable(case, given) -> bool:
    """After the applicant's 补正 a department may look again and give a new opinion."""
    return any(e.action == "resubmit" and e.id > given.id for e in case.events)


def pending(case, item) -> list[str]:
    given = opinions(case)
    return [d for d in item.parallel if d not in given]


def check_opinion(case, item, department: str | None, note: str, data: dict) -> dict:
    if not item.parallel:
        raise IllegalTransition("这个事项不需要并联审查")
    if department not in item.parallel:
        raise IllegalTransition("只有参与并联审查的部门可以出具审查意见")
    given = opinions(case).get(department)
    if given is not None and not _revisable(case, given):
        raise IllegalTransition("贵部门已经出具过审查意见")
    decision = data.get("decision")
    if decision not in OPINIONS:
        raise InvalidInput("请选择同意或不同意", field="decision")
    if decision == "denied" and not note:
        raise InvalidInput("不同意须写明理由", field="note")
    return {"department": department, "decision": decision}


def opinion_note(data: dict, note: str) -> str:
    """What the timeline says: the department, its opinion, its words."""
    return f"{data['department']}：{OPINIONS[data['decision']]}" + (f"。{note}" if note else "")


def check_complete(case, item) -> None:
    waiting = pending(case, item)
    if waiting:
        raise IllegalTransition(f"还有部门没有出具并联审查意见：{'、'.join(waiting)}")
