"""Display names the hall's panels share (marked for translation; ``tr`` them where shown)."""

from __future__ import annotations

from command_center.app.i18n import N_, tr
from shared.domain import LEVEL_NAMES
from shared.domain.grading import REQUESTED_LEVEL_WARNING

UNIT_TYPES = {
    "fire": N_("消防"),
    "ambulance": N_("急救"),
    "police": N_("公安"),
    "rescue": N_("救援"),
    "other": N_("其他"),
}
"""Unit and team types as the position reports and the resource table name them."""

RECIPIENT_KINDS = {
    "device": N_("终端"),
    "department": N_("部门"),
    "team": N_("队伍"),
    "unit": N_("单位"),
}
ROLE_NAMES = {"field": N_("现场终端"), "liaison": N_("部门联络员"), "county": N_("县级平台")}

ORDER_STATE_NAMES = {
    "issued": N_("已下达"),
    "delivered": N_("已送达"),
    "acknowledged": N_("已确认"),
    "accepted": N_("已接受"),
    "declined": N_("已拒绝"),
    "en_route": N_("途中"),
    "on_scene": N_("到场"),
    "completed": N_("已完成"),
    "cancelled": N_("已撤销"),
}
"""An order's states as the dispatch board and the official report name them."""

STATUS_NAMES = {
    "reported": N_("已报告"),
    "verified": N_("已核实"),
    "responding": N_("响应中"),
    "stabilised": N_("已控制"),
    "closed": N_("已关闭"),
}
STAGE_NAMES = {"initial": N_("初报"), "follow_up": N_("续报"), "final": N_("终报")}

SOURCE_NAMES = {
    "field": N_("现场"),
    "phone": N_("电话"),
    "written": N_("书面"),
    "department": N_("部门"),
    "county": N_("县区"),
    "monitoring": N_("监测"),
    "public": N_("群众"),
}

NUMERALS = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}


def level_text(level: int | None) -> str:
    """Ⅱ级 重大, or 未定级."""
    if level not in NUMERALS:
        return tr("未定级")
    return tr("{numeral}级 {name}").format(numeral=NUMERALS[level], name=tr(LEVEL_NAMES[level]))


HUB_WARNINGS = {
    REQUESTED_LEVEL_WARNING: N_(
        "请求定为 {requested}级，分级标准为 {computed}级：按标准定级；"
        "如需另定，由值班员“调整等级”并写明理由"
    ),
}
"""The hub's incident warnings the hall shows in its own words."""
