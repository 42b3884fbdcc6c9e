"""Formatting a new broker's storage (infra/local.py) works for every random cluster id."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from infra.local import format_kafka_storage, kafka_properties

pytestmark = pytest.mark.integration


def test_a_cluster_id_that_begins_with_a_dash_is_not_read_as_an_option(tmp_path: Path) -> None:
    # One random id in 64 begins with "-" (base64url of 16 random bytes).
    cluster_id = base64.urlsafe_b64encode(b"\xf8" + bytes(15)).decode().rstrip("=")
    assert cluster_id.startswith("-")
    properties = tmp_path / "server.properties"
    properties.write_text(kafka_properties(1, 2, tmp_path / "data"))

    format_kafka_storage(properties, cluster_id=cluster_id)

    meta = (tmp_path / "data" / "meta.properties").read_text()
    assert f"cluster.id={cluster_id}\n" in meta
