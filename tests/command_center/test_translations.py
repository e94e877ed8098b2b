"""The hall in English: every text it shows has a translation in ``hall_en.ts``.

Texts are found where the code marks them — the literal inside ``tr("…")`` and ``N_("…")``
in the hall's modules — and where data supplies them (level, type, county and deadline
names, the order alarm, the map's layer names). A translation must keep the source's
``{placeholders}``, or ``str.format`` would fail in English only."""

from __future__ import annotations

import html
import re
import string
from pathlib import Path
from typing import Any

from command_center.app import i18n
from command_center.map.page import page_texts
from shared.domain import LEVEL_NAMES, classification
from shared.domain.deadlines import SUPPLEMENT_NAME, load_deadlines
from shared.domain.plans import RESPONSE_WARNINGS
from shared.geo import county_seats
from shared.hub.escalation import ORDER_ALARM_NAME
from tests.support import hall_marked_texts

ROOT = Path(__file__).resolve().parents[2] / "command_center"


def _translations() -> dict[str, str]:
    ts = (ROOT / "i18n" / "hall_en.ts").read_text("utf-8")
    pairs = re.findall(r"<source>(.*?)</source>\s*<translation>([^<]*)</translation>", ts, re.S)
    return {html.unescape(s): html.unescape(t) for s, t in pairs}


def _data_texts() -> set[str]:
    return {
        *LEVEL_NAMES.values(),
        *(t.name for t in classification().types),
        *(p.name for p in county_seats()),
        *(r.name for r in load_deadlines().rules),
        SUPPLEMENT_NAME,
        ORDER_ALARM_NAME,
        *page_texts(),
        *RESPONSE_WARNINGS,
    }


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_text_the_hall_shows_has_an_english_translation() -> None:
    translated = _translations()
    marked = hall_marked_texts()
    assert len(marked) > 200  # the scan found the hall's texts, not an empty folder
    missing = {t: where for t, where in marked.items() if not translated.get(t)}
    assert not missing, missing
    missing_data = sorted(t for t in _data_texts() if not translated.get(t))
    assert not missing_data, missing_data


def test_translations_keep_the_placeholders() -> None:
    wrong = {
        source: target
        for source, target in _translations().items()
        if target and _fields(source) != _fields(target)
    }
    assert not wrong, wrong


def test_a_warning_the_hub_wrote_is_shown_in_the_windows_language(qapp: Any) -> None:
    from shared.domain.plans import UNENROLLED_LIAISON, UNENROLLED_TEAM

    written = UNENROLLED_LIAISON.format(department="县应急局", code="county", device="liaison-x")
    team = UNENROLLED_TEAM.format(device="team-hazmat")
    # Chinese (the source): as written.
    assert i18n.tr_filled(written, RESPONSE_WARNINGS) == written
    translator = i18n.install(qapp, "en")
    try:
        assert i18n.tr_filled(written, RESPONSE_WARNINGS) == (
            "县应急局 (county): liaison device liaison-x is not enrolled, no order sent: "
            "notify the department by phone and enrol its liaison"
        )
        assert i18n.tr_filled(team, RESPONSE_WARNINGS).startswith("Team device team-hazmat is")
        # Text from no known template stays as it is.
        assert i18n.tr_filled("别的提醒", RESPONSE_WARNINGS) == "别的提醒"
    finally:
        qapp.removeTranslator(translator)
