"""Learning from the community: members' picks and votes and moderators' teaching become labelled examples.

`candidates` stores every signal as a candidate example (SQLite), `rules` decides what may be accepted
without a moderator, `clashes` holds an accept that would relabel a question the knowledge already labels
(and settles one it labels the same as a duplicate), `guard` checks that a model retrained on accepted
examples does no worse before it serves, `learned_file` writes the examples that serve to
knowledge/examples/, and `loop` ties them together for the front ends.
"""
