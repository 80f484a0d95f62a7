"""`connects-bot init [DIR]`: a config.yaml and knowledge/ of a community's own, copied from the packaged defaults.

An installed bot runs from anywhere on its packaged default, whose knowledge base lives inside the
package and is read-only. `init` gives a community files to own (edit, review in git, let moderators
change from Discord): DIR/config.yaml, whose relative paths resolve in DIR, and DIR/knowledge/. It
never overwrites: if either exists, nothing is written.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bot.cli import EXIT_FAILED, EXIT_OK
from bot.cli.safe_text import shown
from bot.config import PACKAGED_CONFIG_PATH, PACKAGED_DEFAULTS, load_settings
from bot.core.knowledge.loader import load_knowledge
from bot.core.knowledge.model import ENTRIES_DIR, RULES_FILE

CONFIG_NAME = "config.yaml"
KNOWLEDGE_NAME = "knowledge"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register `init`."""
    parser = subparsers.add_parser(
        "init",
        help="write an editable config.yaml and knowledge/ into DIR (default: the current folder)",
        description="Copy the packaged default config.yaml and knowledge base into DIR, for a community to own. "
        "Refuses to overwrite an existing config.yaml or knowledge/.",
    )
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR", help="folder to write into (created if missing)")
    parser.set_defaults(handler=run_init)


def run_init(args: argparse.Namespace) -> int:
    """Write DIR/config.yaml and DIR/knowledge/ and say what to do next."""
    target = Path(args.dir)
    taken = [p for p in (target / CONFIG_NAME, target / KNOWLEDGE_NAME) if p.exists() or p.is_symlink()]
    if taken:
        names = " and ".join(shown(p) for p in taken)
        verb, them = ("exists", "it") if len(taken) == 1 else ("exist", "them")
        print(
            f"error: {names} already {verb}; nothing was written (move {them} away or pick another DIR)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    try:
        entries, rules = copy_defaults(target)
    except OSError as exc:
        print(f"error: cannot write into {shown(target)}: {shown(exc.strerror or exc)}", file=sys.stderr)
        return EXIT_FAILED
    written = f"{shown(target / CONFIG_NAME)} and {shown(target / KNOWLEDGE_NAME)}/"
    print(f"wrote {written} ({entries} entries, {rules} rules, labelled examples): yours to edit")
    carried = carry_embedding_cache(target)
    if carried:
        print(carried)
    print(next_steps(target))
    return EXIT_OK


def next_steps(target: Path) -> str:
    """What to do after init, in order: check, try, point it at the server, run."""
    steps = [] if target.resolve() == Path.cwd().resolve() else [f"cd {shown(target)}"]
    steps += [
        "connects-bot kb check",
        'connects-bot ask "how do i buy connects"',
        "edit config.yaml, discord: guild_ids, support_channel_ids, moderator_role_ids",
        "DISCORD_TOKEN=... connects-bot run",
    ]
    lines = ["next (commands run in that folder use its config.yaml; README: Running it on Discord):"]
    lines += [f"  {step}" for step in steps]
    lines.append(f"the bot keeps its ledger, history and votes in {shown(target / 'data')}/")
    return "\n".join(lines)


EXAMPLES_DIR = "examples"


def copy_defaults(target: Path) -> tuple[int, int]:
    """Copy the packaged config, knowledge base and examples into target; return (entries, rules).

    Both are staged in a temporary folder inside target and moved into place only once the copied
    knowledge base has loaded, so a failure leaves no half-written files.
    """
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".init-", dir=target))
    try:
        knowledge = staging / KNOWLEDGE_NAME
        (knowledge / ENTRIES_DIR).mkdir(parents=True)
        source = PACKAGED_DEFAULTS / KNOWLEDGE_NAME
        shutil.copyfile(source / RULES_FILE, knowledge / RULES_FILE)
        for path in sorted((source / ENTRIES_DIR).glob("*.yaml")):
            shutil.copyfile(path, knowledge / ENTRIES_DIR / path.name)
        # The labelled examples the meaning model learns from: the community's to extend too.
        (knowledge / EXAMPLES_DIR).mkdir()
        for path in sorted((source / EXAMPLES_DIR).glob("*.yaml")):
            shutil.copyfile(path, knowledge / EXAMPLES_DIR / path.name)
        shutil.copyfile(PACKAGED_CONFIG_PATH, staging / CONFIG_NAME)
        kb = load_knowledge(knowledge)  # the copy must be a valid knowledge base before it is handed over
        os.replace(knowledge, target / KNOWLEDGE_NAME)
        os.replace(staging / CONFIG_NAME, target / CONFIG_NAME)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return len(kb.entries), len(kb.rules)


def carry_embedding_cache(target: Path) -> str | None:
    """Give target's bot a warm embedding cache; return a line saying what was done (None: nothing to do).

    The packaged default's cache (if it has been used here) is copied, trained heads and all, and the
    shipped seed fills in the bundled knowledge base: the first answer in the new folder embeds nothing.
    A cache already there is left alone; failing here costs only time later, so it is a note, not an error.
    """
    import sqlite3

    from bot.core.matching.embeddings.cache import EmbeddingCache
    from bot.core.matching.embeddings.encoder import EncoderUnavailable, load_encoder
    from bot.core.matching.embeddings.seed import SEED_PATH

    settings = load_settings(target / CONFIG_NAME)
    path = settings.embedding.cache_path
    if not settings.embedding.enabled or path is None or path.exists():
        return None
    try:
        encoder = load_encoder(settings.embedding.model_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        used = load_settings(PACKAGED_CONFIG_PATH).embedding.cache_path
        if used is not None and used.is_file():
            source, copy = sqlite3.connect(used), sqlite3.connect(path)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
        cache = EmbeddingCache(path, encoder.sha256, encoder.dim, seed=SEED_PATH)
        seeded = cache.fill_from_seed()
        cache.close()
    except (OSError, sqlite3.Error, EncoderUnavailable) as exc:
        return (
            f"note: no embedding cache written to {shown(path)} ({shown(exc)}); "
            "the first answer there embeds the knowledge base (tens of seconds)"
        )
    return f"embedding cache ready in {shown(path)} ({seeded} texts of the bundled knowledge base already embedded)"
