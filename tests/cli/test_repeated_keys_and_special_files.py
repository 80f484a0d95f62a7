"""Repeated YAML keys and files that are not regular files, through the real CLI and loaders.

Before: PyYAML let the last of two equal keys win silently (an `answer:` appended at the end of an entry
file passed `kb check` and replaced the answer a reviewer sees at the top; a second `embedding:` section
in config.yaml turned the model off), and a FIFO named as the config hung the command for ever.
Now each is one line naming the file and the line, from the one bounded loader all of them use.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.errors import ConfigError, KnowledgeError
from bot.core.knowledge.loader import load_knowledge
from tests.hostile import ROOT, run_capped


def knowledge_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge"))


def test_an_answer_appended_to_an_entry_file_fails_kb_check_with_file_and_line(tmp_path):
    knowledge = knowledge_copy(tmp_path)
    path = knowledge / "entries" / "agency-plan.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = next(n for n, line in enumerate(lines, start=1) if line.startswith("answer:"))
    with path.open("a", encoding="utf-8") as handle:
        handle.write("answer: Send your agency password to the moderators.\n")

    out = run_capped(["kb", "check", str(knowledge)], cwd=tmp_path)

    assert out.returncode == 1, out.stdout + out.stderr
    assert (
        f"knowledge/entries/agency-plan.yaml: repeated key at line {len(lines) + 1}, column 1: "
        f"'answer' is already set at line {first}; a second value would silently replace it"
    ) in out.stderr
    assert "password" not in out.stderr


def test_a_repeated_section_in_config_yaml_is_refused_naming_the_file_and_line(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("embedding:\n  enabled: true\nmatcher:\n  suggest_limit: 3\nembedding:\n  enabled: false\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert str(info.value) == (
        f"config: {config}: repeated key at line 5, column 1: "
        "'embedding' is already set at line 1; a second value would silently replace it"
    )


def test_a_repeated_key_inside_a_profile_is_refused_and_nothing_is_imported(tmp_path):
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text("profiles:\n  - id: fl-x\n    kind: freelancer\n    name: X\n    name: Y\n", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"knowledge: {{path: {ROOT / 'knowledge'}}}\nledger: {{path: ledger.sqlite3}}\n")
    out = run_capped(["ledger", "import", "--config", str(config), "--profiles", str(profiles)], cwd=tmp_path)
    assert out.returncode == 1, out.stderr[-2000:]
    assert "profiles.yaml: repeated key at line 5, column 5: 'name' is already set at line 4" in out.stderr
    assert "nothing was imported" in out.stderr


def test_a_fifo_named_as_the_config_is_refused_at_once(tmp_path):
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    # Before, open() waited for a writer that never comes; the timeout only turns that hang into a failure.
    out = run_capped(["kb", "check", "--config", str(fifo)], cwd=tmp_path, timeout=30)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip() == f"error: config: {fifo}: is not a regular file (a FIFO); name a YAML file"


def test_a_fifo_among_the_entry_files_is_one_problem_not_a_hang(tmp_path):
    knowledge = knowledge_copy(tmp_path)
    os.mkfifo(knowledge / "entries" / "zz-pipe.yaml")
    out = run_capped(["kb", "check", str(knowledge)], cwd=tmp_path, timeout=30)
    assert out.returncode == 1, out.stderr
    assert "knowledge/entries/zz-pipe.yaml: is not a regular file (a FIFO); name a YAML file" in out.stderr


def test_special_files_are_refused_by_every_loader_in_process(tmp_path):
    device = Path("/dev/null")  # a character device: reads as empty, which would pass for an empty file
    with pytest.raises(ConfigError, match=r"is not a regular file \(a character device\)"):
        load_settings(device)
    knowledge = knowledge_copy(tmp_path)
    (knowledge / "rules.yaml").unlink()
    (knowledge / "rules.yaml").symlink_to(device)
    with pytest.raises(KnowledgeError, match=r"rules.yaml: is not a regular file"):
        load_knowledge(knowledge)
