"""The test QR code reader, checked on segno's codes so that a passing payload test means something."""

import io

import pytest
import segno

from tests.core.qr_reader import QrReadError, read_qr, svg_matrix

# Byte counts that need each version from 1 to 13 at level M.
SIZES = (14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331)


def matrix_of(qr):
    return [list(row) for row in qr.matrix]


def sample_bytes(size):
    return bytes((7 * index + size) % 256 for index in range(size))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mask", range(8))
def test_reader_reads_every_version_and_mask(size, mask):
    data = sample_bytes(size)
    qr = segno.make_qr(data, error="m", boost_error=False, mask=mask)

    content = read_qr(matrix_of(qr))

    assert content.version == qr.version
    assert content.mask == mask
    assert content.error_level == "M"
    assert content.data == data


def test_reader_covers_versions_1_to_13():
    versions = [segno.make_qr(sample_bytes(size), error="m", boost_error=False).version for size in SIZES]

    assert versions == list(range(1, 14))


def test_reader_rejects_flipped_data_module():
    matrix = matrix_of(segno.make_qr(b"F-2026-0042 payment", error="m", boost_error=False))
    matrix[12][12] ^= 1  # a data module of this version 2 code

    with pytest.raises(QrReadError, match="Reed-Solomon"):
        read_qr(matrix)


def test_reader_rejects_flipped_format_bit():
    matrix = matrix_of(segno.make_qr(b"F-2026-0042 payment", error="m", boost_error=False))
    matrix[8][2] ^= 1

    with pytest.raises(QrReadError, match="BCH"):
        read_qr(matrix)


def test_reader_rejects_other_error_level():
    with pytest.raises(QrReadError, match="level Q"):
        read_qr(matrix_of(segno.make_qr(b"F-2026-0042 payment", error="q", boost_error=False)))


def test_svg_reader_matches_matrix():
    qr = segno.make_qr(b"F-2026-0042 payment", error="m", boost_error=False)
    output = io.BytesIO()
    qr.save(output, kind="svg", border=4, xmldecl=False, svgclass=None, lineclass=None, nl=False)

    assert svg_matrix(output.getvalue().decode("ascii"), border=4) == matrix_of(qr)
