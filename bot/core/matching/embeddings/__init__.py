"""The meaning model: a sentence encoder (encoder, cache), a trained head and nearest examples
(semantic), chatter gates (chatter_gate), calibrated confidence (confidence), and the ranker that joins
them with the lexical matcher (ranker, meaning)."""
