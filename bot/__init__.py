"""Connects support bot: answers Connects questions and explains ledger charges."""

import os

# The sentence encoder multiplies small matrices (one message at a time): there, OpenBLAS's threads
# cost more than they give, and on a busy 2-core machine they thrash (10x slower, measured). Set before
# numpy loads; an operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
