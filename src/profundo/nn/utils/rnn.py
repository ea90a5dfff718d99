"""``nn.utils.rnn`` (Unit 3, issue 13): pad_sequence and packed sequences."""

__all__ = []
