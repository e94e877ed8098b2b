"""Translations: Chinese in the source, English (and any other language) through Qt's
translation files. ``command_center/i18n/hall_LANG.ts`` is the editable source (Qt Linguist);
set-up compiles it to ``.qm`` next to it (not committed)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

CONTEXT = "Hall"


def tr(text: str) -> str:
    """``text`` in the window's language (itself when there is no translation)."""
    return QCoreApplication.translate(CONTEXT, text)


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
