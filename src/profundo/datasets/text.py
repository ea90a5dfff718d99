"""Text corpora of the course: The Time Machine (language models) and English-French pairs (translation).

Both are d2l's files, with d2l's checksums.  The loaders return the raw text
(or the sentence pairs); tokenizing and vocabularies belong to the models.
"""
from pathlib import Path

from .._errors import error
from ._files import RemoteFile, data_home, extract_zip, fetch

D2L_DATA_URL = "http://d2l-data.s3-accelerate.amazonaws.com/"

TIME_MACHINE = RemoteFile("timemachine.txt", (D2L_DATA_URL + "timemachine.txt",),
                          "sha1:090b5e7e70c295757f55df93cb0a180b9691891a")
FRA_ENG = RemoteFile("fra-eng.zip", (D2L_DATA_URL + "fra-eng.zip",), "sha1:94646ad1522d915e7b0f9296181140edcf86a4f5")


def _read_text(path, op):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(FileNotFoundError, op, f"no such file: {path}", "revisa la ruta del archivo") from None
    except UnicodeDecodeError as e:
        raise error(ValueError, op, f"{path} is not UTF-8 text ({e})", "el archivo no es texto UTF-8") from None
    if not text.strip():
        raise error(ValueError, op, f"{path} is empty", "el archivo está vacío: reemplázalo por el original")
    return text


def load_time_machine(root=None, download=True, path=None):
    """H. G. Wells' *The Time Machine* as one string (d2l's ``timemachine.txt``).

    ``path`` reads a copy you already have (checked like a download).
    """
    if path is not None:
        from ._files import check_file
        reason = check_file(path, TIME_MACHINE)
        if reason is not None:
            raise error(ValueError, "load_time_machine", f"{path} is not d2l's timemachine.txt ({reason})",
                        "usa el archivo original de d2l (o deja path=None para descargarlo)")
        return _read_text(path, "load_time_machine")
    (file,) = fetch([TIME_MACHINE], data_home(root), dataset="load_time_machine", download=download)
    return _read_text(file, "load_time_machine")


def load_fra_eng(root=None, download=True, path=None):
    """The English-French corpus as raw text: one ``English<TAB>French[<TAB>...]`` pair per line.

    By default d2l's ``fra-eng.zip`` is fetched, verified and safely extracted
    (``<root>/fra-eng/fra.txt``).  ``path`` reads a ``fra.txt`` you have (for
    example a shorter head of the same file); its lines are checked for the
    tab-separated format.
    """
    op = "load_fra_eng"
    if path is None:
        root = data_home(root)
        (zip_path,) = fetch([FRA_ENG], root, dataset=op, download=download)
        path = root / "fra-eng" / "fra.txt"
        if not path.is_file() or path.stat().st_mtime < zip_path.stat().st_mtime:
            extract_zip(zip_path, root, "fra-eng")
    text = _read_text(path, op)
    for number, line in enumerate(text.splitlines(), 1):
        if line and "\t" not in line:
            raise error(ValueError, op, f"{path}, line {number}: expected 'English<TAB>French', got {line[:60]!r}",
                        "cada línea debe tener la frase en inglés y su traducción separadas por un tabulador")
    return text


def fra_eng_pairs(text):
    """``[(english, french), ...]`` from the text of ``load_fra_eng`` (extra columns are dropped)."""
    pairs = []
    for line in text.splitlines():
        if line:
            parts = line.split("\t")
            pairs.append((parts[0], parts[1]))
    return pairs
