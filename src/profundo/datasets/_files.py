"""Getting data files safely: the cache folder, download, checksums, zip extraction.

Every data set goes through ``fetch``:

1. a file already in the cache folder that passes its checksum is used as is
   (no network at all);
2. otherwise it is downloaded from each mirror in turn into a temporary file
   in the same folder, checked, and only then renamed to its final name
   (``os.replace`` is atomic: a half-written or corrupt file never carries the
   real name, so it is never loaded);
3. when no mirror works (no internet) the error lists the exact files, where
   to get them, and the folder to copy them into.
"""
import hashlib
import os
import posixpath
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .._errors import error

ENV_VAR = "PROFUNDO_DATA"
TIMEOUT_S = 30


def data_home(root=None):
    """The folder where data sets are cached.

    ``root`` if given, else the ``PROFUNDO_DATA`` environment variable, else
    ``$XDG_CACHE_HOME/profundo`` (``~/.cache/profundo`` by default).
    """
    if root is None:
        root = os.environ.get(ENV_VAR)
    if root is None:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(cache, "profundo")
    return Path(root).expanduser()


@dataclass(frozen=True)
class RemoteFile:
    """A file we know: its name, where to download it, and its checksum.

    ``checksum`` is ``"md5:<hex>"``, ``"sha1:<hex>"`` or ``"sha256:<hex>"``.
    ``content_md5`` (optional) is the md5 of a gzip file's *uncompressed*
    content: it also accepts a copy that was re-compressed (same data, other bytes).
    """
    name: str
    urls: tuple
    checksum: str
    content_md5: str = None
    size: int = None
    note: str = field(default="", compare=False)


def file_hash(path, algorithm):
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _gunzip_md5(path):
    import gzip
    h = hashlib.md5()
    with gzip.open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_file(path, remote):
    """None if ``path`` holds ``remote``'s data, else the reason it does not."""
    algorithm, expected = remote.checksum.split(":", 1)
    got = file_hash(path, algorithm)
    if got == expected:
        return None
    if remote.content_md5:
        try:
            if _gunzip_md5(path) == remote.content_md5:
                return None
        except (OSError, EOFError):
            pass
    return f"{algorithm} is {got}, expected {expected}"


def _download(url, folder, remote):
    """Download ``url`` into a temporary file in ``folder``; its path if the checksum is right."""
    fd, tmp = tempfile.mkstemp(prefix=f".{remote.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            shutil.copyfileobj(response, out, 1 << 20)
        reason = check_file(tmp, remote)
        if reason is not None:
            raise ValueError(f"checksum mismatch: {reason}")
        return tmp
    except BaseException:
        os.unlink(tmp)
        raise


def fetch(remotes, folder, *, dataset, download=True):
    """Make sure every file of ``remotes`` is in ``folder`` and verified; their paths.

    Files already there and valid are not touched (no network).  A file that is
    there but fails its checksum is never loaded: it is downloaded again, and
    if that is impossible the error says to replace it.
    """
    folder = Path(folder)
    paths, problems = [], {}
    for remote in remotes:
        path = folder / remote.name
        paths.append(path)
        if path.is_file():
            reason = check_file(path, remote)
            if reason is None:
                continue
            problems[remote.name] = f"the file there is corrupt or incomplete ({reason})"
        else:
            problems[remote.name] = "not found"
        if not download:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        tried = []
        for url in remote.urls:
            print(f"Downloading {url} -> {path}", file=sys.stderr)
            try:
                tmp = _download(url, folder, remote)
            except (OSError, ValueError, urllib.error.URLError) as e:
                tried.append(f"{url} ({e})")
                continue
            os.replace(tmp, path)  # atomic: the real name only ever holds a verified file
            del problems[remote.name]
            break
        else:
            problems[remote.name] += "; download failed: " + "; ".join(tried)
    if problems:
        raise _missing_error(dataset, remotes, problems, folder, download)
    return paths


def _missing_error(dataset, remotes, problems, folder, download):
    lines = []
    for remote in remotes:
        if remote.name in problems:
            lines.append(f"  {remote.name}: {problems[remote.name]}\n"
                         f"      get it from {remote.urls[0] if remote.urls else remote.note}"
                         f" ({remote.checksum})")
    text = (f"the data files are missing or invalid in {folder}:\n" + "\n".join(lines) +
            f"\nTo fix it: {'connect to the internet and try again, or ' if download else 'pass download=True, or '}"
            f"copy the files listed above into {folder} (or pass root=, or set {ENV_VAR}, to a folder that has them)")
    return error(RuntimeError, dataset, text,
                 f"sin internet, copia esos archivos en {folder} y vuelve a ejecutar; "
                 "un archivo corrupto o a medias nunca se carga")


# ----------------------------------------------------------------- zip files
def _unsafe_member(info):
    """Why a zip member must not be extracted, or None."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in posixpath.normpath(name).split("/") or ".." in name.split("/"):
        return "'..' in its path"
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        return "symbolic link"
    return None


def extract_zip(zip_path, folder, top):
    """Extract the folder ``top`` of ``zip_path`` into ``folder / top``, safely.

    Members with absolute paths, ``..`` or symbolic links are refused (nothing
    is extracted).  Extraction goes to a temporary folder renamed at the end,
    so an interrupted extraction never looks finished.
    """
    folder = Path(folder)
    try:
        with zipfile.ZipFile(zip_path) as zf:
            infos = zf.infolist()
            for info in infos:
                reason = _unsafe_member(info)
                if reason:
                    raise error(RuntimeError, "extract_zip", f"refusing to extract {zip_path}: member "
                                f"{info.filename!r} has {reason}",
                                "el zip intenta escribir fuera de su carpeta: bórralo y descarga el original")
            tmp = Path(tempfile.mkdtemp(prefix=f".{top}.", suffix=".part", dir=folder))
            try:
                zf.extractall(tmp)
                if not (tmp / top).is_dir():
                    raise error(RuntimeError, "extract_zip", f"{zip_path} has no folder {top!r}",
                                "el zip no es el esperado: bórralo y descarga el original")
                target = folder / top
                if target.exists():
                    shutil.rmtree(target)
                os.replace(tmp / top, target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as e:
        raise error(RuntimeError, "extract_zip", f"{zip_path} is not a valid zip file ({e})",
                    "bórralo y descárgalo de nuevo") from None
    return folder / top
