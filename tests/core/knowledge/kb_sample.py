"""Sample knowledge files for the knowledge-store tests (its own module name, so tests can import it)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bot.core.knowledge.loader import load_knowledge

PROPOSAL_COST = """\
# Hand-written header: facts from connects-facts.md section 2.
# Keep this comment.
id: proposal-cost
question: How many Connects does a proposal cost?
alternates:
  - how many connects to apply for a job
  - why does this job need 16 connects
  - proposal connects cost went up
  - connects needed to submit a proposal
  - how much connects per application
  - why do some jobs require more connects than others
answer: |
  The cost varies per job: the job post shows the number of Connects before you submit.

  Some jobs need none.
related: [buying-connects]
sources:
  - https://support.upwork.com/hc/en-us/articles/211062898
reviewed: 2026-01-15
"""

BUYING = """\
id: buying-connects
question: How do I buy more Connects?
alternates:
  - where can i purchase connects
  - buy connects with paypal
  - can i pay for connects from my earnings
  - how to get more connects bundle
  - purchase connects page
  - what billing methods can pay for connects
answer: |
  Go to Connects, then Buy Connects, choose a bundle and confirm.
related: []
sources:
  - https://support.upwork.com/hc/en-us/articles/211062908
reviewed: 2026-02-01
"""

REFUNDS = """\
id: refunds-returned-connects
question: Do I get my Connects back if the job is cancelled?
alternates:
  - connects refund when client cancels the job
  - will my connects be returned if the post is removed
  - job closed without hiring do i get connects back
  - refund connects declined proposal
  - client cancelled the job where are my connects
  - are connects returned when a job expires
answer: |
  Connects come back when the client cancels the job before hiring anyone, or when the post is
  removed for breaking the terms. They don't come back when your proposal is declined.
related: [proposal-cost]
sources:
  - https://support.upwork.com/hc/en-us/articles/211062898
reviewed: 2026-03-01
"""

RULES = """\
rules:
  - id: returned-connects
    text: Connects come back only when the client cancels before hiring or the post is removed.
    entries: [refunds-returned-connects]
"""

EXPIRY = {
    "id": "expiry-rollover",
    "question": "Do my Connects expire?",
    "alternates": "\n".join(
        [
            "when do connects expire",
            "  connects expiry date  ",
            "do unused connects roll over",
            "my connects disappeared after a year",
            "how long are connects valid",
            "where do i see connects that expire soon",
        ]
    ),
    "answer": "Connects expire one year after they are issued.   \r\nThe oldest ones are used first.",
    "sources": ["https://support.upwork.com/hc/en-us/articles/211062898"],
}


def write_sample(root: Path) -> Path:
    """Write the sample knowledge base under root/knowledge and return that folder."""
    knowledge = root / "knowledge"
    (knowledge / "entries").mkdir(parents=True)
    (knowledge / "entries" / "proposal-cost.yaml").write_text(PROPOSAL_COST, encoding="utf-8")
    (knowledge / "entries" / "buying-connects.yaml").write_text(BUYING, encoding="utf-8")
    (knowledge / "entries" / "refunds-returned-connects.yaml").write_text(REFUNDS, encoding="utf-8")
    (knowledge / "rules.yaml").write_text(RULES, encoding="utf-8")
    load_knowledge(knowledge)  # the sample itself must be valid
    return knowledge


def snapshot(knowledge: Path) -> dict[str, str]:
    """Hash every file under knowledge/ (dotfiles included), to prove what a change did not touch."""
    return {
        p.relative_to(knowledge).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(knowledge.rglob("*"))
        if p.is_file()
    }
