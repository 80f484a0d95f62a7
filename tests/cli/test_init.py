"""`connects-bot init [DIR]`: an editable config.yaml and knowledge/ for a community to own; never overwrites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.common import CONFIG_VARIABLE
from bot.config import PACKAGED_CONFIG_PATH, PACKAGED_DEFAULTS, load_settings
from bot.core.knowledge.loader import load_knowledge
from bot.core.matching.embeddings.cache import EmbeddingCache
from bot.core.matching.embeddings.encoder import load_encoder


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_init_writes_the_packaged_defaults_and_commands_there_use_them(tmp_path, monkeypatch, capsys):
    community = tmp_path / "community"
    assert main(["init", str(community)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {community}/config.yaml and {community}/knowledge/ (22 entries, 8 rules, labelled examples)" in out
    assert (community / "config.yaml").read_bytes() == PACKAGED_CONFIG_PATH.read_bytes()
    assert tree(community / "knowledge") == tree(PACKAGED_DEFAULTS / "knowledge")
    assert sorted(p.name for p in community.iterdir()) == ["config.yaml", "data", "knowledge"]  # no staging left
    cache = community / "data" / "embeddings.sqlite3"
    assert f"embedding cache ready in {cache} (" in out
    # What a newcomer does next, in order: into the folder, check, try, point it at the server, run.
    steps = out[out.index("next (") :].splitlines()[1:6]
    assert [s.split()[0] for s in steps] == ["cd", "connects-bot", "connects-bot", "edit", "DISCORD_TOKEN=..."]
    assert "support_channel_ids" in steps[3]

    monkeypatch.chdir(community)
    settings = load_settings(Path("config.yaml"))
    assert settings.knowledge.path == community / "knowledge"
    assert settings.ledger.path == community / "data" / "ledger.sqlite3"
    assert main(["ask", "--json", "can i move my connects to my agency"]) == 0
    assert json.loads(capsys.readouterr().out)["entry"] == "transfers-not-possible"
    assert main(["kb", "check"]) == 0
    assert capsys.readouterr().out == f"{community / 'knowledge'}: ok, 22 entries, 8 rules\n"  # ./config.yaml's


def test_commands_that_change_knowledge_accept_the_communitys_copy(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0  # DIR defaults to the current folder
    capsys.readouterr()
    assert main(["kb", "revert", "proposal-cost", "1"]) == 0  # refused on the packaged default
    assert capsys.readouterr().out == "proposal-cost: already as at version 1; nothing written\n"
    assert (tmp_path / "data" / "knowledge-history.sqlite3").is_file()


@pytest.mark.parametrize("existing", ["config.yaml", "knowledge"])
def test_init_never_overwrites(tmp_path, capsys, existing):
    target = tmp_path / existing
    if existing == "config.yaml":
        target.write_text("log_level: DEBUG\n")
    else:
        target.mkdir()
    assert main(["init", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {target} already exists; nothing was written (move it away or pick another DIR)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["xdg", existing][-1:])
    if existing == "config.yaml":
        assert target.read_text() == "log_level: DEBUG\n"


def test_init_refusing_two_files_speaks_of_them(tmp_path, capsys):
    (tmp_path / "config.yaml").write_text("log_level: DEBUG\n")
    (tmp_path / "knowledge").mkdir()
    assert main(["init", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.endswith("already exist; nothing was written (move them away or pick another DIR)\n")


def test_init_carries_the_embedding_cache_so_the_first_answer_embeds_nothing(tmp_path, monkeypatch, capsys):
    encoder = load_encoder()
    # the packaged default's cache, as a bot run from anywhere leaves it: a trained head in it, say
    used = load_settings(PACKAGED_CONFIG_PATH).embedding.cache_path
    assert used == tmp_path / "xdg" / "connects-bot" / "data" / "embeddings.sqlite3"
    before = EmbeddingCache(used, encoder.sha256, encoder.dim)
    before.store_artefact("head-v1:trained-here", b"weights")
    before.close()

    assert main(["init", str(tmp_path / "community")]) == 0
    carried = EmbeddingCache(tmp_path / "community" / "data" / "embeddings.sqlite3", encoder.sha256, encoder.dim)
    assert carried.artefact("head-v1:trained-here") == b"weights"
    kb = load_knowledge(tmp_path / "community" / "knowledge")
    texts = [p for entry in kb.entries.values() for p in entry.phrasings]

    def must_not_embed(missing: list[str]) -> None:
        raise AssertionError(f"embedded {len(missing)} text(s) init should have carried: {missing[:3]}")

    assert carried.embed(texts, must_not_embed).shape == (len(texts), encoder.dim)  # the seed's, carried
    carried.close()

    capsys.readouterr()
    monkeypatch.chdir(tmp_path)  # a second init elsewhere finds a cache already in place: left alone
    (tmp_path / "second" / "data").mkdir(parents=True)
    (tmp_path / "second" / "data" / "embeddings.sqlite3").write_bytes(b"mine")
    assert main(["init", "second"]) == 0
    assert (tmp_path / "second" / "data" / "embeddings.sqlite3").read_bytes() == b"mine"
    assert "embedding cache" not in capsys.readouterr().out
