"""The supervisor files in deploy/ name real commands and paths (docker and systemd do not run in tests).

`systemd-analyze verify` and `systemd-analyze security --offline=true` were run on the unit by hand (see
README, "Keeping it running"); what is checked here is what would break silently when the code changes:
the command lines parse with the CLI's own parser, the console script exists, the written paths of the
default config are writable under the unit's sandbox, and the files the Dockerfile copies exist.
"""

from __future__ import annotations

import configparser
import json
import shlex
import tomllib
from pathlib import Path, PurePosixPath

from bot.cli import EXIT_USAGE, build_parser
from bot.cli.run import TOKEN_VARIABLE, run_command
from bot.config import settings_from_mapping
from bot.core.safe_yaml import read_yaml

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read(DEPLOY / "connects-bot.service", encoding="utf-8")
    return parser


def parses_as_run(argv: list[str]) -> PurePosixPath:
    """Parse `run ...` with the CLI's own parser; return the config it names."""
    args = build_parser(argv).parse_args(argv)
    assert args.handler is run_command
    return PurePosixPath(args.config)


def test_the_unit_restarts_on_failure_but_not_a_config_mistake_and_reads_the_token_from_a_file() -> None:
    service = unit()["Service"]
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == str(EXIT_USAGE)
    assert service["EnvironmentFile"].startswith("/etc/") and service["KillSignal"] == "SIGTERM"
    env = (DEPLOY / "connects-bot.env").read_text(encoding="utf-8")
    assignments = [line for line in env.splitlines() if line.strip() and not line.startswith("#")]
    assert assignments == [f"{TOKEN_VARIABLE}="]  # the only secret, and no value in the repository


def test_the_units_command_is_the_bots_run_command_in_its_working_directory() -> None:
    service = unit()["Service"]
    python, *argv = shlex.split(service["ExecStart"])
    home = PurePosixPath(service["WorkingDirectory"])
    assert PurePosixPath(python) == home / ".venv" / "bin" / "python"
    assert argv[:2] == ["-m", "bot"]
    assert parses_as_run(argv[2:]) == home / "config.yaml"


def test_the_sandbox_lets_the_bot_write_every_file_the_default_config_writes() -> None:
    service = unit()["Service"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert service[key] == value, key
    home = PurePosixPath(service["WorkingDirectory"])
    writable = [PurePosixPath(p) for p in service["ReadWritePaths"].split()]
    settings = settings_from_mapping(read_yaml(REPO / "config.yaml", 1 << 20), base=REPO, source=REPO / "config.yaml")
    written = [
        settings.knowledge.path / "entries" / "x.yaml",  # moderators' edits from Discord
        settings.knowledge.history_path,
        settings.ledger.path,
        settings.feedback.path,
        settings.catch_up.path,
        settings.embedding.cache_path,
        settings.insights.path,
        settings.learning.path,
        settings.knowledge.path / "examples" / settings.learning.examples_file,  # the guard's accepted examples
    ]
    for path in written:
        assert path is not None
        inside = home / PurePosixPath(path.relative_to(REPO).as_posix())
        assert any(inside.is_relative_to(w) for w in writable), f"{inside} is read-only under the unit"


def readme_systemd_steps() -> list[str]:
    """The shell lines of the README's systemd block (under "Keeping it running"), comments dropped."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("- **systemd**") : readme.index("- **A container**")]
    block = section[section.index("```bash\n") + 8 : section.index("```\n", section.index("```bash\n") + 8)]
    return [line.split("   #")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_steps_make_what_the_unit_needs_before_it_starts() -> None:
    service = unit()["Service"]
    home = service["WorkingDirectory"]
    steps = "\n".join(readme_systemd_steps())
    assert "useradd --system" in steps and steps.split("useradd", 1)[1].split("\n")[0].endswith(f" {service['User']}")
    assert f"git clone YOUR_CLONE_URL {home} && cd {home}" in steps
    assert "python3 -m venv .venv" in steps  # ExecStart's interpreter (test above: home/.venv/bin/python)
    # Every writable folder exists (systemd refuses to start without it) and is the bot user's.
    folders = [str(PurePosixPath(p).relative_to(home)) for p in service["ReadWritePaths"].split()]
    made = steps.split("mkdir -p ", 1)[1].split(" &&")[0].split()
    owned = steps.split(f"chown -R {service['User']}:{service['Group']} ", 1)[1].split("\n")[0].split()
    assert all(f in made or (REPO / f).is_dir() for f in folders) and sorted(owned) == sorted(folders)
    assert f"install -D -m 600 deploy/connects-bot.env {service['EnvironmentFile']}" in steps
    assert "cp deploy/connects-bot.service /etc/systemd/system/" in steps and "enable --now connects-bot" in steps


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of deploy/Dockerfile, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_containers_entry_point_is_the_console_script_and_its_command_is_run() -> None:
    steps = dockerfile()
    (entry,) = [json.loads(args) for op, args in steps if op == "ENTRYPOINT"]
    (cmd,) = [json.loads(args) for op, args in steps if op == "CMD"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert entry == ["connects-bot"] and scripts["connects-bot"] == "bot.__main__:main"
    workdir = [args for op, args in steps if op == "WORKDIR"][-1]
    assert parses_as_run(cmd) == PurePosixPath(workdir) / "config.yaml"
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_what_the_dockerfile_copies_exists() -> None:
    for op, args in dockerfile():
        if op == "COPY":
            *sources, _ = args.split()
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: no such file in the repository"
