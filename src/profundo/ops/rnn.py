"""Recurrent cells (Unit 3, issue 13): the RNN/GRU/LSTM steps and their backward through time."""

__all__ = []
