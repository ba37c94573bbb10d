"""Scanner framing rules and scan classification, without threads or ports."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.barcodes import classify, iccid_digits, luhn_valid
from drivers.scanner import ScanFrameParser

ICCID_19 = "8901260965432109874"
ICCID_20 = "89012609654321098764"


def codes(scans):
    """The code strings of a list of scans."""
    return [scan.code for scan in scans]


@pytest.mark.parametrize("end", [b"\r", b"\n", b"\r\n", b"\n\r"])
def test_each_terminator_ends_a_frame(end):
    """CR, LF, CRLF (and LFCR) each end exactly one frame."""
    parser = ScanFrameParser()
    assert codes(parser.feed(b"12345678" + end + b"87654321" + end, 0.0)) == ["12345678", "87654321"]


def test_aim_prefix_is_stripped_and_kept_as_symbology():
    """']Q1R-T01-000123' is the receipt code with symbology ']Q1'."""
    (scan,) = ScanFrameParser().feed(b"]Q1R-T01-000123\r\n", 0.0)
    assert (scan.code, scan.symbology, scan.kind) == ("R-T01-000123", "]Q1", "receipt")
    (plain,) = ScanFrameParser().feed(b"4155550123\n", 0.0)
    assert plain.symbology == ""


def test_frames_split_across_reads_are_joined():
    """Bytes arriving in chunks within the silence window form one frame."""
    parser = ScanFrameParser()
    assert parser.feed(b"]E0890126", 0.00) == []
    assert parser.feed(b"0965432", 0.03) == []
    assert codes(parser.feed(b"109874\r", 0.06)) == [ICCID_19]


def test_bad_frames_are_dropped():
    """Empty frames, non-printable bytes and frames over 256 bytes never become scans."""
    parser = ScanFrameParser()
    data = b"\r\n\r\n" + b"12\x0034\r" + b"\xff\xfe\r" + b"9" * 300 + b"\r" + b"]C0\r" + b"5551234567\r"
    assert codes(parser.feed(data, 0.0)) == ["5551234567"]
    assert parser.dropped == {"non_printable": 2, "too_long": 1, "empty": 1}


def test_partial_frame_is_dropped_after_silence():
    """A frame interrupted by more than 100 ms of silence is discarded, not glued to the next."""
    parser = ScanFrameParser()
    parser.feed(b"890126", 0.0)
    parser.expire(0.2)
    assert codes(parser.feed(b"4155550123\r", 0.3)) == ["4155550123"]
    parser.feed(b"890126", 1.0)
    assert codes(parser.feed(b"4155550124\r", 1.5)) == ["4155550124"]  # dropped on arrival too
    assert parser.dropped["partial"] == 2


def test_same_code_within_a_second_is_debounced():
    """A repeat of the same code within 1 s of its last read is dropped; other codes pass."""
    parser = ScanFrameParser()
    assert codes(parser.feed(b"4155550123\r", 0.0)) == ["4155550123"]
    assert codes(parser.feed(b"4155550123\r", 0.5)) == []
    assert codes(parser.feed(b"4155550199\r", 0.6)) == ["4155550199"]
    assert codes(parser.feed(b"4155550123\r", 1.4)) == []  # held in view: still the same read
    assert codes(parser.feed(b"4155550123\r", 2.5)) == ["4155550123"]


SAMPLE_FRAMES = [b"]Q1R-T01-000123", b"]E0" + ICCID_19.encode(), b"LPA:1$sm-dp.example$X1", b"", b"7" * 300, b"]C0"]
TERMINATORS = [b"\r", b"\n", b"\r\n", b"", b"\n\r"]


# Hypothesis draws the noise and the seed; plain Python splices 100 frames per example out of
# them, which keeps ~10,000 frames to a few seconds even on a loaded 2-core CI machine.
@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.binary(min_size=600, max_size=2400), st.randoms(use_true_random=False))
def test_random_frames_never_crash_the_parser(noise, rnd):
    """~10,000 random frames: no exception, and every scan is short printable ASCII."""
    parser = ScanFrameParser()
    now, pos = 0.0, 0
    for _ in range(100):
        if rnd.random() < 0.5:
            size = rnd.randint(0, 24)
            body, pos = noise[pos : pos + size], (pos + size) % len(noise)
        else:
            body = rnd.choice(SAMPLE_FRAMES)
        now += rnd.randint(0, 6) * 0.05  # sometimes inside the silence and debounce windows
        for scan in parser.feed(body + rnd.choice(TERMINATORS), now):
            assert scan.code and scan.code.isascii() and scan.code.isprintable()
            assert len(scan.code) <= 256
            assert scan.kind in ("iccid", "phone", "receipt", "esim", "unknown")
        parser.expire(now)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (ICCID_19, "iccid"),
        (ICCID_20, "iccid"),
        ("8901 2609 6543 2109 874F", "iccid"),
        ("8901-2609-6543-2109-874", "iccid"),
        ("8901260965432109875", "unknown"),  # Luhn fails
        ("+14155550123", "phone"),
        ("415 555-0123", "phone"),
        ("(415) 555-0123", "phone"),
        ("123456", "unknown"),
        ("R-T01-000123", "receipt"),
        ("R-KIOSK2-1234567", "receipt"),
        ("R-t01-000123", "unknown"),
        ("R-T01-12345", "unknown"),
        ("LPA:1$smdp.example.com$ABC-123", "esim"),
        ("hello", "unknown"),
        ("", "unknown"),
    ],
)
def test_classify(code, kind):
    """Scanned codes are sorted into ICCID, phone, receipt, eSIM or unknown."""
    assert classify(code) == kind


def test_iccid_digits_and_luhn():
    """ICCID digits come back without separators or the F pad; Luhn rejects a changed digit."""
    assert iccid_digits("8901 2609 6543 2109 874F") == ICCID_19
    assert luhn_valid("79927398713") and not luhn_valid("79927398710") and not luhn_valid("x1")
