"""A small QR code reader for the tests: byte mode, versions 1 to 13, error correction level M.

It reads a module matrix with no help from the encoder. It checks the format
information with its BCH code, unmasks the modules and reads the codewords in
placement order. It splits the interleaved blocks, computes their Reed-Solomon
check codewords again and compares them, then reads the byte-mode segment.
The tables are those of ISO/IEC 18004, and ``test_qr_reader`` checks them on
segno's codes of every version and mask. The reader locates no code in a
picture and corrects no error, so a printed page still needs a real scanner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The 15 format bits are XORed with this pattern, so that they are never all light.
FORMAT_MASK = 0b101010000010010
FORMAT_GENERATOR = 0b10100110111  # BCH(15, 5)
LEVELS = {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}

# Level M: check codewords per block, then (block count, data codewords per block) for each group.
LEVEL_M_BLOCKS = {
    1: (10, ((1, 16),)),
    2: (16, ((1, 28),)),
    3: (26, ((1, 44),)),
    4: (18, ((2, 32),)),
    5: (24, ((2, 43),)),
    6: (16, ((4, 27),)),
    7: (18, ((4, 31),)),
    8: (22, ((2, 38), (2, 39))),
    9: (22, ((3, 36), (2, 37))),
    10: (26, ((4, 43), (1, 44))),
    11: (30, ((1, 50), (4, 51))),
    12: (22, ((6, 36), (2, 37))),
    13: (22, ((8, 37), (1, 38))),
}

# Row and column coordinates of the alignment pattern centres.
ALIGNMENT_CENTRES = {
    1: (),
    2: (6, 18),
    3: (6, 22),
    4: (6, 26),
    5: (6, 30),
    6: (6, 34),
    7: (6, 22, 38),
    8: (6, 24, 42),
    9: (6, 26, 46),
    10: (6, 28, 50),
    11: (6, 30, 54),
    12: (6, 32, 58),
    13: (6, 34, 62),
}

# Data mask conditions on (row, column): a module is inverted where the condition holds.
MASKS = {
    0: lambda i, j: (i + j) % 2 == 0,
    1: lambda i, j: i % 2 == 0,
    2: lambda i, j: j % 3 == 0,
    3: lambda i, j: (i + j) % 3 == 0,
    4: lambda i, j: (i // 2 + j // 3) % 2 == 0,
    5: lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    6: lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    7: lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
}

# Top-left copy of the format information, from its most significant bit to its least.
FORMAT_POSITIONS = (
    *((8, column) for column in (0, 1, 2, 3, 4, 5, 7, 8)),
    *((row, 8) for row in (7, 5, 4, 3, 2, 1, 0)),
)


@dataclass(frozen=True)
class QrContent:
    version: int
    error_level: str
    mask: int
    data: bytes


class QrReadError(ValueError):
    pass


def read_qr(matrix: list[list[int]]) -> QrContent:
    """Read the byte-mode content of a level M code from its modules, 1 for dark, without quiet zone."""
    size = len(matrix)
    version = (size - 17) // 4
    if size != 17 + 4 * version or version not in LEVEL_M_BLOCKS or any(len(row) != size for row in matrix):
        raise QrReadError("A %d × %d matrix is not a QR code of version 1 to 13." % (size, len(matrix[0])))

    level, mask = _format_information(matrix)
    if level != "M":
        raise QrReadError("Error correction level %s: this reader reads level M only." % level)
    codewords = _codewords(matrix, version, MASKS[mask])
    data = _checked_data(codewords, version)
    return QrContent(version=version, error_level=level, mask=mask, data=_byte_segment(data, version))


def _format_information(matrix: list[list[int]]) -> tuple[str, int]:
    bits = 0
    for row, column in FORMAT_POSITIONS:
        bits = (bits << 1) | matrix[row][column]
    bits ^= FORMAT_MASK
    value, check = bits >> 10, bits & 0b1111111111
    if _bch_remainder(value) != check:
        raise QrReadError("The format information %s fails its BCH check." % format(bits, "015b"))
    return LEVELS[value >> 3], value & 0b111


def _bch_remainder(value: int) -> int:
    remainder = value << 10
    for shift in range(4, -1, -1):
        if remainder & (1 << (shift + 10)):
            remainder ^= FORMAT_GENERATOR << shift
    return remainder


def _function_modules(size: int, version: int) -> list[list[bool]]:
    """Mark the finder, separator, timing, alignment, format and version modules, which carry no data."""
    reserved = [[False] * size for _ in range(size)]

    def mark(top: int, left: int, height: int, width: int) -> None:
        for row in range(top, top + height):
            for column in range(left, left + width):
                reserved[row][column] = True

    mark(0, 0, 9, 9)  # top-left finder, separator and format information
    mark(0, size - 8, 9, 8)  # top-right finder, separator and format information
    mark(size - 8, 0, 8, 9)  # bottom-left finder, separator, format information and dark module
    mark(6, 0, 1, size)  # timing patterns
    mark(0, 6, size, 1)
    centres = ALIGNMENT_CENTRES[version]
    corners = {(centres[0], centres[0]), (centres[0], centres[-1]), (centres[-1], centres[0])} if centres else set()
    for row in centres:
        for column in centres:
            if (row, column) not in corners:
                mark(row - 2, column - 2, 5, 5)
    if version >= 7:
        mark(0, size - 11, 6, 3)  # version information
        mark(size - 11, 0, 3, 6)
    return reserved


def _codewords(matrix: list[list[int]], version: int, mask: object) -> list[int]:
    """Read the data modules in placement order: column pairs from the right, up then down, skipping column 6."""
    size = len(matrix)
    reserved = _function_modules(size, version)
    bits = []
    column, upward = size - 1, True
    while column > 0:
        if column == 6:
            column -= 1
        rows = range(size - 1, -1, -1) if upward else range(size)
        for row in rows:
            for current in (column, column - 1):
                if not reserved[row][current]:
                    bits.append(matrix[row][current] ^ int(mask(row, current)))  # type: ignore[operator]
        column, upward = column - 2, not upward

    check_length, groups = LEVEL_M_BLOCKS[version]
    total = sum(count * length for count, length in groups) + check_length * sum(count for count, _ in groups)
    return [int("".join(map(str, bits[8 * k : 8 * k + 8])), 2) for k in range(total)]


def _checked_data(codewords: list[int], version: int) -> list[int]:
    """Split the interleaved codewords into blocks, check each block's Reed-Solomon codewords, return the data."""
    check_length, groups = LEVEL_M_BLOCKS[version]
    lengths = [length for count, length in groups for _ in range(count)]
    blocks: list[list[int]] = [[] for _ in lengths]
    position = 0
    for index in range(max(lengths)):
        for block, length in zip(blocks, lengths, strict=True):
            if index < length:
                block.append(codewords[position])
                position += 1
    checks: list[list[int]] = [[] for _ in lengths]
    for _index in range(check_length):
        for check in checks:
            check.append(codewords[position])
            position += 1

    for number, (block, check) in enumerate(zip(blocks, checks, strict=True), start=1):
        if _reed_solomon(block, check_length) != check:
            raise QrReadError("Block %d fails its Reed-Solomon check." % number)
    return [codeword for block in blocks for codeword in block]


def _byte_segment(data: list[int], version: int) -> bytes:
    """Read the one byte-mode segment (mode 0100, no ECI) that the data must hold, followed by the terminator."""
    bits = "".join(format(codeword, "08b") for codeword in data)
    if bits[:4] != "0100":
        raise QrReadError("The data starts with mode %s, not byte mode (0100)." % bits[:4])
    count_length = 8 if version <= 9 else 16
    length = int(bits[4 : 4 + count_length], 2)
    start = 4 + count_length
    content = bytes(int(bits[start + 8 * k : start + 8 * k + 8], 2) for k in range(length))
    if "1" in bits[start + 8 * length : start + 8 * length + 4]:
        raise QrReadError("Another segment follows the byte-mode segment.")
    return content


def _gf_tables() -> tuple[list[int], list[int]]:
    """Powers and logarithms of GF(256) with the QR code's polynomial x⁸ + x⁴ + x³ + x² + 1."""
    exponents, logarithms = [0] * 512, [0] * 256
    value = 1
    for power in range(255):
        exponents[power] = value
        logarithms[value] = power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    for power in range(255, 512):
        exponents[power] = exponents[power - 255]
    return exponents, logarithms


EXPONENTS, LOGARITHMS = _gf_tables()


def _multiply(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else EXPONENTS[LOGARITHMS[a] + LOGARITHMS[b]]


def _reed_solomon(data: list[int], check_length: int) -> list[int]:
    """Compute the check codewords: the remainder of data × x^n divided by (x - α⁰)…(x - α^(n-1))."""
    generator = [1]
    for power in range(check_length):
        generator = [
            (generator[k] if k < len(generator) else 0) ^ (_multiply(generator[k - 1], EXPONENTS[power]) if k else 0)
            for k in range(len(generator) + 1)
        ]
    remainder = [*data, *([0] * check_length)]
    for index in range(len(data)):
        factor = remainder[index]
        if factor:
            for offset in range(1, len(generator)):
                remainder[index + offset] ^= _multiply(generator[offset], factor)
    return remainder[len(data) :]


SVG_SIZE = re.compile(r'<svg [^>]*width="(\d+)" height="(\d+)"')
SVG_PATH = re.compile(r'<path [^>]*d="([^"]+)"')
PATH_COMMAND = re.compile(r"([Mmh])(-?\d+(?:\.\d+)?)(?: (-?\d+(?:\.\d+)?))?")


def svg_matrix(svg: str, border: int) -> list[list[int]]:
    """Rebuild the module matrix from segno's SVG, whose path draws each row's dark runs as 1-unit strokes."""
    width, height = map(int, SVG_SIZE.search(svg).groups())  # type: ignore[union-attr]
    size = width - 2 * border
    matrix = [[0] * size for _ in range(height - 2 * border)]
    x = y = 0.0
    path = SVG_PATH.search(svg).group(1)  # type: ignore[union-attr]
    if PATH_COMMAND.sub("", path):
        raise QrReadError("The SVG path has commands this reader cannot read: %r" % PATH_COMMAND.sub("", path))
    for command, first, second in PATH_COMMAND.findall(path):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            row = int(y - 0.5) - border
            for column in range(int(x) - border, int(x + float(first)) - border):
                matrix[row][column] = 1
            x += float(first)
    return matrix


# Typst draws an SVG path in the PDF page's content stream, in SVG units, so each
# dark run of a row becomes "x y m x' y l" with y at the middle of the row.
PDF_ROW_RUNS = re.compile(r"(?:\d+ \d+\.5 m \d+ \d+\.5 l\s?){20,}")
PDF_RUN = re.compile(r"(\d+) (\d+)\.5 m (\d+) \2\.5 l")


def pdf_matrices(content: str) -> list[list[list[int]]]:
    """Rebuild the module matrix of each QR code drawn in a PDF page's content stream.

    The finder patterns touch the code's first and last columns, so the leftmost
    and rightmost runs give the quiet zone and the size.
    """
    matrices = []
    for block in PDF_ROW_RUNS.finditer(content):
        runs = [(int(start), int(row), int(end)) for start, row, end in PDF_RUN.findall(block.group())]
        border = min(start for start, _, _ in runs)
        size = max(end for _, _, end in runs) - border
        matrix = [[0] * size for _ in range(size)]
        for start, row, end in runs:
            for column in range(start, end):
                matrix[row - border][column - border] = 1
        matrices.append(matrix)
    return matrices
