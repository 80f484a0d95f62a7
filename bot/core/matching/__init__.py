"""From a member's message to a decision: text normalisation (text), the lexical index and matcher
(index, matcher), the meaning model (embeddings/), the live engine (answers), and the quality figures
(examples, evaluation, cross_validation)."""
