"""Photos: resumable, content-addressed uploads (PROTOCOL.md §8, G11).

A blob is known by the SHA-256 of its bytes. Bytes arrive in chunks at an offset (the
tus idea, simplified) into ``<blob dir>/partial/<sha256>.part``; each chunk is written,
flushed and fsynced before the offset is committed, so an upload cut at any byte
resumes from the committed offset. When the last byte arrives the file is hashed: if
the hash matches it is renamed to ``<blob dir>/<sha256[:2]>/<sha256>`` and the blob is
complete (and never uploaded again, by anyone); if not, the bytes are discarded.

Blob rows are locked while a chunk is written, so two tablets uploading the same photo
at once take turns (the loser of a race gets ``409`` with the right offset).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.models import Attachment, Blob, utcnow
from server.scoping import Scope
from server.services.errors import Conflict, Invalid, NotFound, ServiceError

_SHA256_RE = re.compile(r"[0-9a-f]{64}")
#: The largest photo or scan accepted.
MAX_BLOB_BYTES = 64 * 1024 * 1024
_HASH_CHUNK = 1024 * 1024


class OffsetMismatch(Conflict):
    """A chunk sent at the wrong offset (409); ``offset`` is where to continue."""

    code = "offset_mismatch"

    def __init__(self, message: str, *, offset: int) -> None:
        super().__init__(message)
        self.offset = offset
        self.extra = {"offset": offset}
        self.headers = {"Upload-Offset": str(offset)}


class ChunkTooLarge(ServiceError):
    http_status = 413
    code = "payload_too_large"


class HashMismatch(Invalid):
    code = "hash_mismatch"


@dataclass(frozen=True)
class BlobState:
    sha256: str
    size: int
    content_type: str
    offset: int
    complete: bool


def check_sha256(value: str) -> str:
    if not _SHA256_RE.fullmatch(value):
        raise ServiceError(
            f"Mã SHA-256 không hợp lệ: {value[:80]!r} (sha256 must be 64 lowercase hex digits)"
        )
    return value


class BlobFiles:
    """Where the bytes live on disk."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def part(self, sha256: str) -> Path:
        return self.root / "partial" / f"{sha256}.part"

    def final(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def part_size(self, sha256: str) -> int:
        try:
            return self.part(sha256).stat().st_size
        except FileNotFoundError:
            return 0


def _state(blob: Blob) -> BlobState:
    return BlobState(
        blob.sha256,
        int(blob.size),
        blob.content_type,
        int(blob.size if blob.verified else blob.received),
        bool(blob.verified),
    )


def _reconcile(files: BlobFiles, blob: Blob) -> None:
    """Trust no more bytes than are on disk (a lost part file restarts the upload)."""
    if blob.verified:
        return
    on_disk = files.part_size(blob.sha256)
    if on_disk < blob.received:
        blob.received = on_disk


def _lock(session: Session, sha256: str) -> Blob | None:
    """Lock the blob's row until the transaction ends and return it, fresh."""
    session.execute(
        update(Blob)
        .where(Blob.sha256 == sha256)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return session.get(Blob, sha256, populate_existing=True)


def start_upload(
    session: Session, files: BlobFiles, sha256: str, size: int, content_type: str
) -> tuple[BlobState, bool]:
    """Announce a blob; returns its state and whether it is new (PROTOCOL.md §8.1)."""
    check_sha256(sha256)
    if not 1 <= size <= MAX_BLOB_BYTES:
        raise Invalid(
            f"Kích thước ảnh {size} không hợp lệ (size must be 1 to {MAX_BLOB_BYTES} bytes)",
            errors={"size": f"1..{MAX_BLOB_BYTES}"},
        )
    blob = _lock(session, sha256)
    created = False
    if blob is None:
        try:
            with session.begin_nested():
                blob = Blob(
                    sha256=sha256, size=size, content_type=content_type, received=0, verified=False
                )
                session.add(blob)
            created = True
        except IntegrityError:
            blob = _lock(session, sha256)  # announced at the same moment by another device
            assert blob is not None
    if blob.size != size:
        raise Invalid(
            f"Ảnh {sha256[:12]}… đã được khai báo với kích thước {blob.size} "
            f"(this sha256 was announced with size {blob.size}, not {size})",
            errors={"size": f"expected {blob.size}"},
        )
    if created:
        part = files.part(sha256)
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(b"")
    else:
        _reconcile(files, blob)
    return _state(blob), created


def blob_state(session: Session, files: BlobFiles, sha256: str) -> BlobState:
    check_sha256(sha256)
    blob = session.get(Blob, sha256)
    if blob is None:
        raise NotFound(f"Không có ảnh {sha256[:12]}… (no blob {sha256}; announce it first)")
    _reconcile(files, blob)
    return _state(blob)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def append_chunk(
    session: Session, files: BlobFiles, sha256: str, offset: int, chunk: bytes
) -> BlobState:
    """Write ``chunk`` at ``offset`` (PROTOCOL.md §8.3); verify once the last byte is in.

    Raises :class:`OffsetMismatch` (409) when ``offset`` is not where the upload stands,
    :class:`ChunkTooLarge` (413) past the announced size, :class:`HashMismatch` (422,
    the bytes are discarded and the blob starts again at 0; the caller commits that).
    """
    check_sha256(sha256)
    blob = _lock(session, sha256)
    if blob is None:
        raise NotFound(f"Không có ảnh {sha256[:12]}… (no blob {sha256}; announce it first)")
    _reconcile(files, blob)
    state = _state(blob)
    if offset != state.offset:
        raise OffsetMismatch(
            f"Sai vị trí tải lên: máy chủ đang ở byte {state.offset}, không phải {offset} "
            f"(wrong Upload-Offset {offset}; the upload stands at {state.offset})",
            offset=state.offset,
        )
    if state.complete:
        return state
    if offset + len(chunk) > blob.size:
        raise ChunkTooLarge(
            f"Đoạn dữ liệu vượt quá kích thước đã khai báo {blob.size} "
            f"(chunk of {len(chunk)} bytes at {offset} goes past the size {blob.size})"
        )
    if not chunk:
        return state
    part = files.part(sha256)
    part.parent.mkdir(parents=True, exist_ok=True)
    with part.open("r+b" if part.exists() else "w+b") as handle:
        handle.seek(offset)
        handle.write(chunk)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())
    blob.received = offset + len(chunk)
    if blob.received == blob.size:
        actual = _sha256_of(part)
        if actual != sha256:
            part.unlink(missing_ok=True)
            blob.received = 0
            raise HashMismatch(
                "Ảnh tải lên bị hỏng (mã SHA-256 không khớp), sẽ tải lại từ đầu "
                f"(the bytes hash to {actual}, not {sha256}; they were discarded, "
                "upload again from offset 0)",
                errors={"sha256": actual},
            )
        final = files.final(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, final)
        _fsync_dir(final.parent)
        blob.verified = True
    return _state(blob)


def readable_blob(
    session: Session, files: BlobFiles, sha256: str, scope: Scope
) -> tuple[Path, str]:
    """The file and content type of a blob an attachment in ``scope`` refers to.

    Anything else is 404, whether the blob is absent or only another commune uses it.
    """
    check_sha256(sha256)
    missing = NotFound(f"Không tìm thấy ảnh (not found): blob {sha256}")
    blob = session.get(Blob, sha256)
    if blob is None or not blob.verified:
        raise missing
    used = select(Attachment.id).where(Attachment.sha256 == sha256)
    if scope.commune_ids is not None:
        used = used.where(Attachment.commune_id.in_(scope.commune_ids))
    if not session.scalar(select(exists(used))):
        raise missing
    path = files.final(sha256)
    if not path.is_file():
        raise missing
    return path, blob.content_type
