"""ESC/POS command bytes, built by hand so every byte we send is one we chose.

python-escpos 3.1 is used for transports only where we need it (USB by vendor/product); its text
path sends Chinese as raw GB18030 without `FS &` and forgets code pages after `ESC @`.
"""

from __future__ import annotations

ESC = b"\x1b"
GS = b"\x1d"
FS = b"\x1c"
DLE = b"\x10"

INIT = ESC + b"@"
CJK_ON = FS + b"&"  # FS &: Chinese (double-byte) character mode on
CJK_OFF = FS + b"."  # FS .: back to single-byte mode
ALIGN_LEFT = ESC + b"a\x00"
ALIGN_CENTER = ESC + b"a\x01"
ALIGN_RIGHT = ESC + b"a\x02"
BOLD_ON = ESC + b"E\x01"
BOLD_OFF = ESC + b"E\x00"
PARTIAL_CUT = GS + b"V\x42\x00"  # GS V 66 0: feed to the cutter, then cut leaving a hinge

ALIGNMENTS = {"left": ALIGN_LEFT, "center": ALIGN_CENTER, "right": ALIGN_RIGHT}


def print_mode(*, tall: bool = False, wide: bool = False) -> bytes:
    """Character size for both single-byte (`ESC !`) and Chinese (`FS !`) text.

    Chinese mode has its own size command; setting only `ESC !` leaves the Chinese run small.
    """
    esc = (0x10 if tall else 0) | (0x20 if wide else 0)
    fs = (0x08 if tall else 0) | (0x04 if wide else 0)
    return ESC + b"!" + bytes([esc]) + FS + b"!" + bytes([fs])


def feed(lines: int) -> bytes:
    """`ESC d n`: print the buffer and feed n lines."""
    return ESC + b"d" + bytes([max(0, min(lines, 255))])


def status_query(n: int) -> bytes:
    """`DLE EOT n`: real-time status request (n = 1 printer, 2 offline cause, 4 paper sensor)."""
    return DLE + b"\x04" + bytes([n])


def _qr_function(fn: int, payload: bytes) -> bytes:
    # GS ( k pL pH cn=49 fn [payload]; pL/pH count cn, fn and the payload.
    size = len(payload) + 2
    return GS + b"(k" + bytes([size & 0xFF, size >> 8, 49, fn]) + payload


def native_qr(data: str, *, module_size: int = 4) -> bytes:
    """QR code rendered by the printer (`GS ( k`): model 2, EC level M, then print.

    About 40 bytes plus the data; a raster QR costs kilobytes.
    """
    payload = data.encode("ascii", "replace")
    return (
        _qr_function(65, b"\x32\x00")  # model 2
        + _qr_function(67, bytes([max(1, min(module_size, 16))]))
        + _qr_function(69, b"\x31")  # error correction M
        + _qr_function(80, b"\x30" + payload)  # store the data
        + _qr_function(81, b"\x30")  # print it
    )


def raster(width_dots: int, height_dots: int, packed_rows: bytes) -> bytes:
    """`GS v 0`: a 1-bit raster image; rows of width_dots/8 bytes, bit 7 leftmost, 1 = black."""
    width_bytes = (width_dots + 7) // 8
    return (
        GS
        + b"v0\x00"
        + bytes([width_bytes & 0xFF, width_bytes >> 8, height_dots & 0xFF, height_dots >> 8])
        + packed_rows
    )


def image_to_raster(image) -> bytes:
    """`GS v 0` bytes for a Pillow image (any mode); dark pixels print."""
    gray = image.convert("L")
    if gray.width % 8:
        # Pad to whole bytes with white: Pillow pads rows with 0 bits, which would print as black.
        from PIL import Image

        padded = Image.new("L", ((gray.width + 7) // 8 * 8, gray.height), 255)
        padded.paste(gray, (0, 0))
        gray = padded
    bw = gray.point(lambda v: 0 if v < 128 else 255, mode="1")
    # Pillow's mode-1 packing has 1 = white; the printer wants 1 = black, so invert the bytes.
    packed = bytes(b ^ 0xFF for b in bw.tobytes())
    return raster(bw.width, bw.height, packed)
