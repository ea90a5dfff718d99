"""``profundo train charlm``: a character-level language model on The Time Machine (Unit 3)."""


def main(argv):
    """Run the task with its own options (``argv`` after ``profundo train charlm``); returns the exit code."""
    raise NotImplementedError("profundo train charlm: not built yet (issue 13)")
