"""Recurrent layers (Unit 3, issue 13): nn.RNN, nn.GRU, nn.LSTM and their cells."""

__all__ = []
