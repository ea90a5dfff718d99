"""``profundo train seq2seq``: English-French translation, encoder-decoder with attention (Unit 3)."""


def main(argv):
    """Run the task with its own options (``argv`` after ``profundo train seq2seq``); returns the exit code."""
    raise NotImplementedError("profundo train seq2seq: not built yet (issue 13)")
