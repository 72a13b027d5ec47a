"""Uploaded files (dcc.Upload contents) checked and turned into a new session; nothing kept when they are refused."""

from __future__ import annotations

import base64
import binascii
import logging
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dashboard.app import MAX_UPLOAD_FILE_BYTES
from sensors.interchange import InputFileError

log = logging.getLogger(__name__)

UPLOAD_TMP_PREFIX = ".upload-"
_SAFE_NAME = re.compile(r"[^0-9A-Za-z._ -]")


class UploadError(ValueError):
    """An upload that was refused; the message names the file and the problem, for the page."""


@dataclass(frozen=True)
class Upload:
    """One uploaded file as dcc.Upload gives it: a data URL and the name the browser reported."""

    contents: str | None
    filename: str | None


def safe_filename(name: str | None, fallback: str) -> str:
    """The last part of a browser-reported file name, reduced to harmless characters (never a path)."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = _SAFE_NAME.sub("_", base).strip(" .")[:100]
    return cleaned or fallback


def decode_upload(upload: Upload, what: str) -> bytes:
    """The bytes of one upload, checked against `MAX_UPLOAD_FILE_BYTES`.

    Raises
    ------
    UploadError
        No file, not a base64 data URL, or larger than the limit.
    """
    if not upload.contents:
        raise UploadError(f"choose the {what} file")
    name = safe_filename(upload.filename, what)
    header, sep, payload = upload.contents.partition(",")
    if not sep or not header.startswith("data:") or not header.endswith(";base64"):
        raise UploadError(f"{name}: the browser did not send the file as expected; choose it again")
    if len(payload) * 3 // 4 > MAX_UPLOAD_FILE_BYTES + 3:
        raise UploadError(f"{name}: larger than the {MAX_UPLOAD_FILE_BYTES // 2**20} MB a file may have")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError(f"{name}: the upload is damaged (not base64); choose the file again") from None
    if len(data) > MAX_UPLOAD_FILE_BYTES:
        raise UploadError(f"{name}: larger than the {MAX_UPLOAD_FILE_BYTES // 2**20} MB a file may have")
    if not data:
        raise UploadError(f"{name}: the file is empty")
    return data


def import_uploads(data_dir: Path, kind: str, leg: str, exercise: str, files: dict[str, Upload]) -> str:
    """Check the uploaded files and make a session of them with dashboard.io's importers; returns the session id.

    Parameters
    ----------
    data_dir : Path
        The data directory; the uploads are written to a temporary folder inside it, removed afterwards.
    kind : "interchange" or "xsens"
        An interchange CSV (`files["csv"]`) or a pair of MT Manager exports (`files["shin"]`, `files["foot"]`).
    leg, exercise : str
        The leg and the exercise of the recording.
    files : dict
        The uploads by role.

    Raises
    ------
    UploadError
        With a message naming the file, the line and the problem; no session is written then.
    """
    from dashboard.io.importing import SessionImportError, import_interchange, import_xsens

    roles = {"interchange": ("csv",), "xsens": ("shin", "foot")}.get(kind)
    if roles is None:
        raise UploadError(f"unknown kind of file {kind!r}")
    what = {"csv": "interchange CSV", "shin": "shin sensor's", "foot": "foot sensor's"}
    data = {role: decode_upload(files.get(role, Upload(None, None)), what[role]) for role in roles}
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=UPLOAD_TMP_PREFIX, dir=data_dir))
    except OSError as e:
        raise UploadError(f"cannot write to the data directory: {e.strerror or e}") from None
    try:
        paths: dict[str, Path] = {}
        for role in roles:
            name = safe_filename(files[role].filename, f"{role}.txt")
            paths[role] = folder / role / name
            paths[role].parent.mkdir()
            paths[role].write_bytes(data[role])
        try:
            if kind == "interchange":
                session_id = import_interchange(data_dir, paths["csv"], leg, exercise)
            else:
                session_id = import_xsens(data_dir, paths["shin"], paths["foot"], leg, exercise)
        except (InputFileError, SessionImportError) as e:
            raise UploadError(_without_folder(str(e), folder)) from None
        except Exception as e:  # a reader bug must reach the person as a message, never as a traceback
            log.exception("import of uploaded files failed")
            names = ", ".join(p.name for p in paths.values())
            raise UploadError(
                f"{names}: could not be read ({type(e).__name__}: {_without_folder(str(e), folder)})"
            ) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _refresh_index(data_dir)
    return session_id


def _without_folder(message: str, folder: Path) -> str:
    """The message with the temporary folder left out of file names (`.../shin/name.txt` -> `name.txt`)."""
    return re.sub(re.escape(str(folder)) + r"/(?:csv|shin|foot)/", "", message)


def _refresh_index(data_dir: Path) -> None:
    try:
        from dashboard.session_index import sync

        sync(data_dir)
    except Exception:  # the index is rebuilt from the folders on the next page load anyway
        log.exception("index refresh after an import failed")
