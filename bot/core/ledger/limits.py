"""How long the texts of a ledger import may be, and what an id or a job reference may not hold.

One statement for every way an import is read: the entries file column by column (import_columns) and
row by row (import_entries), and PROFILES.yaml (import_profiles). Before these caps an unquoted 250 MB
note was accepted on the column path while the same note quoted was refused by csv.reader's field limit.
Ids and job references are shown inside code spans and on terminals, so a backtick or a control
character in one is refused at import rather than escaped at every place it is shown.
"""

from __future__ import annotations

import re

MAX_ID_CHARS = 64  # an entry id
MAX_JOB_CHARS = 64  # a job reference (the marketplace's are about 20: ~01 and 16 hex digits)
MAX_NOTE_CHARS = 500  # an entry's note: a few words from support, shown in explanations
MAX_NAME_CHARS = 100  # a profile's name and its billing method, shown in headers and embeds
# A physical line of ENTRIES.csv: far above the longest row whose fields are within their caps (about
# 6 KB with 4-byte characters and doubled quotes), so only a line that must be refused is cut, and a
# longer one is never held in memory whole.
MAX_LINE_BYTES = 16 * 1024

# A backtick or a control character (Unicode category Cc: C0, DEL and C1).
UNSAFE_IN_REF = re.compile(r"[`\x00-\x1f\x7f-\x9f]")
SHOWN_CHARS = 40  # how much of a refused value an error message quotes


def shown(value: object) -> str:
    """Quote a value (its repr) for an error message, cut short: a message stays one short line."""
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return f"{value[:SHOWN_CHARS]!r}... ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= 2 * SHOWN_CHARS else text[: 2 * SHOWN_CHARS] + "..."
