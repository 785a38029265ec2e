"""Photos: resumable, content-addressed uploads (PROTOCOL.md §8, G11).

A blob is known by the SHA-256 of its bytes. Bytes arrive in chunks at an offset (the
tus idea, simplified) into ``<blob dir>/partial/<sha256>.<commune id>.part``; each
chunk is written, flushed and fsynced before the offset is committed, so an upload cut
at any byte resumes from the committed offset. When the last byte arrives the file is
hashed: if the hash matches, the bytes move to ``<blob dir>/<sha256[:2]>/<sha256>``
(once; a later copy is dropped) and the upload is complete; if not, they are discarded.

Proof of possession. Uploads are per commune (``BlobHolder``): a device may probe,
attach or read a blob only when its commune holds it, that is, a tablet of that commune
uploaded the bytes itself. For every other hash the server behaves as if it did not
exist, so no commune can learn whether another has a photo, or read it, by its hash.
De-duplication happens within a commune. :func:`holder_communes` is the one place that
says which communes' uploads count for a device.

Holder rows are locked while a chunk is written, so two tablets of a commune uploading
the same photo at once take turns (the loser of a race gets ``409`` with the right
offset).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.models import Attachment, Blob, BlobHolder, ScopeEntry, utcnow
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

    def part(self, sha256: str, commune_id: int) -> Path:
        return self.root / "partial" / f"{sha256}.{commune_id}.part"

    def final(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def part_size(self, sha256: str, commune_id: int) -> int:
        try:
            return self.part(sha256, commune_id).stat().st_size
        except FileNotFoundError:
            return 0


def _state(holder: BlobHolder) -> BlobState:
    return BlobState(
        holder.sha256,
        int(holder.size),
        holder.content_type,
        int(holder.size if holder.verified else holder.received),
        bool(holder.verified),
    )


def _reconcile(files: BlobFiles, holder: BlobHolder) -> None:
    """Trust no more bytes than are on disk (a lost part file restarts the upload)."""
    if holder.verified:
        return
    on_disk = files.part_size(holder.sha256, holder.commune_id)
    if on_disk < holder.received:
        holder.received = on_disk


def holder_communes(commune_id: int) -> tuple[int, ...]:
    """The communes whose uploads count for a device of ``commune_id``: its own.

    The one place that decides it for probe, announce and attach: proof of possession
    stays per commune, also for a dossier shared with another commune (a commune
    attaching a photo to it uploads the bytes itself). Reading is wider: a device may
    read the photos of every dossier its commune is involved in (:func:`readable_blob`).
    """
    return (commune_id,)


def holder_of(session: Session, sha256: str, commune_id: int) -> BlobHolder | None:
    """The upload of ``sha256`` that counts for a device of ``commune_id``, if any: the
    commune's own, else a complete one of a commune in :func:`holder_communes`."""
    own = session.get(BlobHolder, (sha256, commune_id))
    if own is not None:
        return own
    others = [c for c in holder_communes(commune_id) if c != commune_id]
    if not others:
        return None
    return session.scalars(
        select(BlobHolder).where(
            BlobHolder.sha256 == sha256,
            BlobHolder.commune_id.in_(others),
            BlobHolder.verified.is_(True),
        )
    ).first()


def holds(session: Session, sha256: str, commune_id: int) -> BlobHolder | None:
    """The complete upload that lets a device of ``commune_id`` attach or read a blob."""
    holder = holder_of(session, sha256, commune_id)
    return holder if holder is not None and holder.verified else None


def _lock(session: Session, sha256: str, commune_id: int) -> BlobHolder | None:
    """Lock the commune's upload row until the transaction ends and return it, fresh."""
    session.execute(
        update(BlobHolder)
        .where(BlobHolder.sha256 == sha256, BlobHolder.commune_id == commune_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return session.get(BlobHolder, (sha256, commune_id), populate_existing=True)


def start_upload(
    session: Session,
    files: BlobFiles,
    sha256: str,
    size: int,
    content_type: str,
    commune_id: int,
) -> tuple[BlobState, bool]:
    """Announce a blob for a commune; returns its state there and whether it is new
    (PROTOCOL.md §8.1). Another commune's upload of the same hash is not looked at."""
    check_sha256(sha256)
    if not 1 <= size <= MAX_BLOB_BYTES:
        raise Invalid(
            f"Kích thước ảnh {size} không hợp lệ (size must be 1 to {MAX_BLOB_BYTES} bytes)",
            errors={"size": f"1..{MAX_BLOB_BYTES}"},
        )
    holder = _lock(session, sha256, commune_id)
    created = False
    if holder is None:
        try:
            with session.begin_nested():
                holder = BlobHolder(
                    sha256=sha256,
                    commune_id=commune_id,
                    size=size,
                    content_type=content_type,
                    received=0,
                    verified=False,
                )
                session.add(holder)
            created = True
        except IntegrityError:
            # announced at the same moment by another tablet of the commune
            holder = _lock(session, sha256, commune_id)
            assert holder is not None
    if holder.size != size:
        raise Invalid(
            f"Ảnh {sha256[:12]}… đã được khai báo với kích thước {holder.size} "
            f"(this sha256 was announced with size {holder.size}, not {size})",
            errors={"size": f"expected {holder.size}"},
        )
    if created:
        part = files.part(sha256, commune_id)
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(b"")
    else:
        _reconcile(files, holder)
    return _state(holder), created


def blob_state(session: Session, files: BlobFiles, sha256: str, commune_id: int) -> BlobState:
    check_sha256(sha256)
    holder = holder_of(session, sha256, commune_id)
    if holder is None:
        raise NotFound(f"Không có ảnh {sha256[:12]}… (no blob {sha256}; announce it first)")
    _reconcile(files, holder)
    return _state(holder)


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
    session: Session,
    files: BlobFiles,
    sha256: str,
    offset: int,
    chunk: bytes,
    commune_id: int,
) -> BlobState:
    """Write ``chunk`` at ``offset`` of the commune's upload (PROTOCOL.md §8.3); verify
    once the last byte is in.

    Raises :class:`OffsetMismatch` (409) when ``offset`` is not where the upload stands,
    :class:`ChunkTooLarge` (413) past the announced size, :class:`HashMismatch` (422,
    the bytes are discarded and the upload starts again at 0; the caller commits that).
    """
    check_sha256(sha256)
    holder = _lock(session, sha256, commune_id)
    if holder is None:
        raise NotFound(f"Không có ảnh {sha256[:12]}… (no blob {sha256}; announce it first)")
    _reconcile(files, holder)
    state = _state(holder)
    if offset != state.offset:
        raise OffsetMismatch(
            f"Sai vị trí tải lên: máy chủ đang ở byte {state.offset}, không phải {offset} "
            f"(wrong Upload-Offset {offset}; the upload stands at {state.offset})",
            offset=state.offset,
        )
    if state.complete:
        return state
    if offset + len(chunk) > holder.size:
        raise ChunkTooLarge(
            f"Đoạn dữ liệu vượt quá kích thước đã khai báo {holder.size} "
            f"(chunk of {len(chunk)} bytes at {offset} goes past the size {holder.size})"
        )
    if not chunk:
        return state
    part = files.part(sha256, commune_id)
    part.parent.mkdir(parents=True, exist_ok=True)
    with part.open("r+b" if part.exists() else "w+b") as handle:
        handle.seek(offset)
        handle.write(chunk)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())
    holder.received = offset + len(chunk)
    if holder.received == holder.size:
        actual = _sha256_of(part)
        if actual != sha256:
            part.unlink(missing_ok=True)
            holder.received = 0
            raise HashMismatch(
                "Ảnh tải lên bị hỏng (mã SHA-256 không khớp), sẽ tải lại từ đầu "
                f"(the bytes hash to {actual}, not {sha256}; they were discarded, "
                "upload again from offset 0)",
                errors={"sha256": actual},
            )
        _keep_bytes(session, files, holder, part)
        holder.verified = True
    return _state(holder)


def _keep_bytes(session: Session, files: BlobFiles, holder: BlobHolder, part: Path) -> None:
    """Move verified bytes into the shared store (once: the same hash is the same bytes)
    and make sure the blob's row exists."""
    final = files.final(holder.sha256)
    if final.is_file():
        part.unlink(missing_ok=True)
    else:
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, final)
        _fsync_dir(final.parent)
    blob = session.get(Blob, holder.sha256)
    if blob is None:
        try:
            with session.begin_nested():
                session.add(
                    Blob(
                        sha256=holder.sha256,
                        size=holder.size,
                        content_type=holder.content_type,
                        received=holder.size,
                        verified=True,
                    )
                )
        except IntegrityError:
            blob = session.get(Blob, holder.sha256, populate_existing=True)
    if blob is not None and not blob.verified:
        blob.received, blob.verified = blob.size, True


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
        # An attachment of the commune, or of a dossier it is involved in (received or
        # settled elsewhere, Decree 118/2025/NĐ-CP): photos travel with the dossier.
        shared_here = select(ScopeEntry.record_id).where(
            ScopeEntry.collection == "attachment",
            ScopeEntry.commune_id.in_(scope.commune_ids),
            ScopeEntry.gone.is_(False),
        )
        used = used.where(
            or_(
                Attachment.commune_id.in_(scope.commune_ids),
                Attachment.id.in_(shared_here),
            )
        )
    if not session.scalar(select(exists(used))):
        raise missing
    path = files.final(sha256)
    if not path.is_file():
        raise missing
    return path, blob.content_type
