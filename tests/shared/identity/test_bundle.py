"""Enrolment, revocation and key bundles."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from shared.identity import (
    BundleError,
    Endpoints,
    EnrolmentError,
    enroll,
    list_devices,
    load_bundle,
    load_or_create_hub_keys,
    revoke,
)
from shared.store import verify

EP = Endpoints("tcp://127.0.0.1:7701", "tcp://127.0.0.1:7702", "tcp://127.0.0.1:7703")


def test_enroll_writes_a_bundle_that_loads(engine: Engine, tmp_path: Path) -> None:
    hub_keys = load_or_create_hub_keys(tmp_path)
    bundle = enroll(
        engine, name="fire-01", role="field", hub_public_key=hub_keys.public, endpoints=EP
    )
    path = tmp_path / "fire-01.json"
    bundle.save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = load_bundle(path)
    assert loaded == bundle
    assert [d.name for d in list_devices(engine)] == ["fire-01"]
    assert verify(engine).entries == 1


def test_hub_keys_are_stable_across_restarts(tmp_path: Path) -> None:
    assert load_or_create_hub_keys(tmp_path) == load_or_create_hub_keys(tmp_path)


def test_enrolment_refuses_unknown_roles_and_duplicates(engine: Engine) -> None:
    with pytest.raises(EnrolmentError, match="unknown role"):
        enroll(engine, name="x", role="king", hub_public_key="k" * 40, endpoints=EP)
    enroll(engine, name="x", role="liaison", hub_public_key="k" * 40, endpoints=EP)
    with pytest.raises(EnrolmentError, match="already enrolled"):
        enroll(engine, name="x", role="liaison", hub_public_key="k" * 40, endpoints=EP)


def test_revoke_is_recorded_and_not_repeatable(engine: Engine) -> None:
    enroll(engine, name="x", role="field", hub_public_key="k" * 40, endpoints=EP)
    revoke(engine, "x", reason="lost device")
    assert list_devices(engine)[0].revoked_at is not None
    with pytest.raises(EnrolmentError, match="already revoked"):
        revoke(engine, "x")
    with pytest.raises(EnrolmentError, match="no device"):
        revoke(engine, "nobody")
    assert verify(engine).ok


@pytest.fixture
def bundle_file(tmp_path: Path, engine: Engine) -> Path:
    bundle = enroll(engine, name="b1", role="field", hub_public_key="k" * 40, endpoints=EP)
    path = tmp_path / "b1.json"
    bundle.save(path)
    return path


def test_corrupt_bundle_is_explained(bundle_file: Path) -> None:
    bundle_file.write_bytes(bundle_file.read_bytes()[:50])
    with pytest.raises(BundleError, match="corrupt"):
        load_bundle(bundle_file)


def test_tampered_bundle_is_refused(bundle_file: Path) -> None:
    body = json.loads(bundle_file.read_text())
    body["role"] = "leader"
    bundle_file.write_text(json.dumps(body))
    with pytest.raises(BundleError, match="altered"):
        load_bundle(bundle_file)


def test_expired_bundle_is_refused(bundle_file: Path) -> None:
    later = datetime.now(UTC) + timedelta(days=400)
    with pytest.raises(BundleError, match="expired"):
        load_bundle(bundle_file, now=later)


def test_missing_bundle_is_explained(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="cannot read"):
        load_bundle(tmp_path / "nope.json")
