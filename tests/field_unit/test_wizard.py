"""First run: the key bundle is checked and kept; a corrupt, expired or revoked one is
explained in plain words and nothing is kept."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.identity import revoke
from tests.support import run_in_qt as _run_in_qt


def test_the_wizard_keeps_a_good_bundle_and_explains_bad_ones(
    hub: Any, tmp_path: Path, qapp: Any, artifacts: Path
) -> None:
    from field_unit.app.wizard import QtSetupWizard

    good = hub.enroll("team-01", "field")
    gone = hub.enroll("team-02", "field")
    revoke(hub.engine, "team-02", reason="设备丢失")
    expired = dataclasses.replace(good, expires=datetime.now(UTC) - timedelta(days=1))

    async def scenario() -> None:
        target = tmp_path / "data" / "bundle.json"
        wizard = QtSetupWizard(target)
        wizard.show()
        assert not await wizard.check_text("{这不是密钥包")
        assert "密钥包无法使用" in wizard.verdict.text()
        assert not await wizard.check_text(expired.dumps())
        assert "已过期" in wizard.verdict.text()
        assert not await wizard.check_text(gone.dumps())
        assert "拒绝" in wizard.verdict.text()
        assert not target.exists()
        wizard.grab().save(str(artifacts / "field-unit-wizard-refused.png"))
        assert await wizard.check_text(good.dumps())
        assert json.loads(target.read_text())["device"] == "team-01"
        assert wizard.bundle is not None and wizard.bundle.device == "team-01"
        assert target.stat().st_mode & 0o777 == 0o600

    _run_in_qt(qapp, scenario)
