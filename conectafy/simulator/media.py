"""Media the simulated phone sends: small real files, stored and served like WAHA's media folder.

WAHA downloads incoming media and serves it at `/api/files/<session>/<waId>.<ext>` (CONTRACT.md §6.7);
the simulator generates the files itself so nothing leaves the machine.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass

# An 8x8 green baseline JPEG (made with Pillow); small, valid, decodable.
_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAoHBwgHBgoICAgLCgoLDhgQDg0NDh0VFhEYIx8lJCIfIiEmKzcvJik0KSEiMEEx"
    "NDk7Pj4+JS5ESUM8SDc9Pjv/2wBDAQoLCw4NDhwQEBw7KCIoOzs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7"
    "Ozs7Ozs7Ozs7Ozs7Ozv/wAARCAAIAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAA"
    "AgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6"
    "Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXG"
    "x8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREA"
    "AgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5"
    "OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPE"
    "xcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwC/RRRXlnwJ/9k="
)

#: Extensions WAHA gives downloaded media (mime-types' first extension, e.g. opus voice -> .oga).
EXTENSIONS = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/webp": "webp",
    "audio/ogg": "oga",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "video/mp4": "mp4",
    "application/pdf": "pdf",
    "text/plain": "txt",
}


@dataclass(frozen=True)
class MediaFile:
    """One stored media file, as served back by `GET /api/files/<session>/<name>`."""

    name: str
    mimetype: str
    data: bytes


def extension_for(mimetype: str) -> str:
    base = mimetype.split(";", 1)[0].strip().lower()
    return EXTENSIONS.get(base, base.rsplit("/", 1)[-1] or "bin")


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(packet: bytes, seq: int, granule: int, flags: int) -> bytes:
    lacing = bytes([255] * (len(packet) // 255) + [len(packet) % 255])
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, 0x5143, seq, 0, len(lacing))
    page = header + lacing + packet
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def voice_note(seconds: int = 1) -> bytes:
    """A valid Ogg Opus file of silence (what a WhatsApp voice note is)."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 9) + b"conectafy" + struct.pack("<I", 0)
    pages = [_ogg_page(head, 0, 0, 0x02), _ogg_page(tags, 1, 0, 0)]
    frames = seconds * 50  # 20 ms CELT silence frames
    for i in range(frames):
        last = 0x04 if i == frames - 1 else 0
        pages.append(_ogg_page(b"\xf8\xff\xfe", i + 2, 312 + 960 * (i + 1), last))
    return b"".join(pages)


def pdf_document(title: str) -> bytes:
    """A one-page PDF whose text is the file's title."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 40 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def mp4_video() -> bytes:
    """An ISO-BMFF (MP4) file with its `ftyp` brand box and an empty media-data box."""
    ftyp = struct.pack(">I4s4sI", 24, b"ftyp", b"isom", 512) + b"isommp41"
    mdat = struct.pack(">I4s", 8, b"mdat")
    return ftyp + mdat


def default_media(kind: str, filename: str | None) -> tuple[bytes, str]:
    """Bytes and mimetype the simulated phone sends for `kind` when the caller gives none."""
    if kind == "image":
        return _JPEG, "image/jpeg"
    if kind == "audio":
        return voice_note(), "audio/ogg; codecs=opus"
    if kind == "video":
        return mp4_video(), "video/mp4"
    return pdf_document(filename or "document.pdf"), "application/pdf"
