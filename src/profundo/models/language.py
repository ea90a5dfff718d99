"""Language models of Unit 3 (issue 13): RNN from scratch, RNN/GRU/LSTM language models, generation."""

__all__ = []
