"""Display names the hall's panels share (marked for translation; ``tr`` them where shown)."""

from __future__ import annotations

from command_center.app.i18n import N_

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
