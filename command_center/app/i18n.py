"""Translations: Chinese in the source, English (and any other language) through Qt's
translation files. ``command_center/i18n/hall_LANG.ts`` is the editable source (Qt Linguist);
set-up compiles it to ``.qm`` next to it (not committed)."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

CONTEXT = "Hall"


def tr(text: str) -> str:
    """``text`` in the window's language (itself when there is no translation)."""
    return QCoreApplication.translate(CONTEXT, text)


def N_(text: str) -> str:
    """Mark ``text`` for translation where it is defined (a table of names); :func:`tr` it
    where it is shown. The completeness test collects these as it does ``tr`` literals."""
    return text


def tr_filled(text: str, templates: Iterable[str]) -> str:
    """``text`` written elsewhere from one of ``templates`` (``str.format`` style), in the
    window's language: the template is recognised, translated and filled again with the
    same values. Text from no template is returned as it is."""
    for template in templates:
        values = _match(template, text)
        if values is not None:
            return tr(template).format(**values)
    return text


def from_hub(text: str, templates: dict[str, str]) -> str:
    """A hub's text (English) in the window's words: its template (a key of ``templates``)
    recognised and the window's own template (the value, marked with ``N_``) filled with the
    same values. Text from no known template is shown as the hub wrote it."""
    for theirs, ours in templates.items():
        values = _match(theirs, text)
        if values is not None:
            return tr(ours).format(**values)
    return text


def _match(template: str, text: str) -> dict[str, str] | None:
    pattern = "".join(
        re.escape(literal) + (f"(?P<{field}>.+?)" if field else "")
        for literal, field, _spec, _conv in string.Formatter().parse(template)
    )
    found = re.fullmatch(pattern, text, re.S)
    return found.groupdict() if found else None


def refused(detail: str) -> str:
    """The hub's refusal as shown: its reason (the hub's own words, in English) after a
    translated lead that says who refused."""
    return tr("指挥中心拒绝：{reason}").format(reason=detail)


def install(app: QCoreApplication, lang: str) -> QTranslator | None:
    """Load and install the translation for ``lang`` ('zh' is the source: none needed).

    Raises:
        LookupError: no compiled translation for ``lang`` (the message says what to run).
    """
    if lang in ("", "zh", "zh_CN"):
        return None
    qm = Path(str(resources.files("command_center") / "i18n" / f"hall_{lang}.qm"))
    translator = QTranslator(app)
    if not qm.is_file() or not translator.load(str(qm)):
        raise LookupError(f"no translation for {lang!r} ({qm} missing: run ./run setup)")
    app.installTranslator(translator)
    return translator
