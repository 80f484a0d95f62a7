"""The profiles file is read by the bounded safe loader: hostile or broken YAML is refused, nothing imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_sample import PROFILES

import bot.core.ledger.import_profiles as import_profiles
from bot.core.errors import ImportRejected
from bot.core.ledger.importer import import_ledger
from bot.core.ledger.store import LedgerStore
from tests.hostile import alias_bomb, merge_bomb


def refused(store: LedgerStore, path: Path) -> list[str]:
    with pytest.raises(ImportRejected) as info:
        import_ledger(store, profiles_path=path)
    assert store.connection.execute("SELECT count(*) FROM profiles").fetchone() == (0,)  # nothing imported
    return info.value.problems


@pytest.mark.parametrize(
    ("value", "column"), [(alias_bomb(depth=6), 62), (merge_bomb(depth=6), 66)], ids=["aliases", "merge-keys"]
)
def test_an_alias_bomb_in_billing_method_is_refused_with_its_line(empty, tmp_path, value, column):
    path = tmp_path / "profiles.yaml"
    path.write_text(
        PROFILES + f"  - {{id: fl-z, kind: freelancer, name: Zed, billing_method: {value}}}\n", encoding="utf-8"
    )
    line = PROFILES.count("\n") + 1
    assert refused(empty, path) == [
        f"profiles.yaml: YAML anchor or alias at line {line}, column {column}: not allowed in this file; "
        "write the value out"
    ]


def test_an_oversized_profiles_file_is_refused_by_its_size(empty, tmp_path, monkeypatch):
    monkeypatch.setattr(import_profiles, "MAX_PROFILES_FILE_BYTES", 1024)
    path = tmp_path / "profiles.yaml"
    path.write_text(PROFILES + "#" * 2048 + "\n", encoding="utf-8")
    assert refused(empty, path) == ["profiles.yaml: is 2.4 KB; the limit is 1 KB"]


def test_a_profiles_file_that_is_not_utf8_names_the_line(empty, tmp_path):
    path = tmp_path / "profiles.yaml"
    path.write_bytes(PROFILES.replace("Bo Rand", "Bo R\u00e9nd").encode("latin-1"))
    assert refused(empty, path) == ["profiles.yaml: is not UTF-8 text (byte 0xe9 on line 7)"]


def test_a_value_yaml_cannot_build_is_refused_not_a_crash(empty, tmp_path):
    path = tmp_path / "profiles.yaml"
    path.write_text(PROFILES.replace("name: Xeno Works", "name: 2026-02-30"), encoding="utf-8")
    assert refused(empty, path) == ["profiles.yaml: bad value at line 10, column 11: day is out of range for month"]
