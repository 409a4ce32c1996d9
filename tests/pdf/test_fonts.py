from ardoise.pdf.fonts import REPLACEMENT, covered_characters, printable


def test_printable_keeps_every_covered_character():
    covered = "".join(chr(code_point) for code_point in sorted(covered_characters()))

    assert printable(covered) == covered


def test_printable_replaces_uncovered_characters():
    # Every printable character the font lacks below U+3000: many border a covered run, where an off-by-one shows.
    covered = covered_characters()
    uncovered = [
        code_point
        for code_point in range(0x20, 0x3000)
        if code_point not in covered and not 0xD800 <= code_point < 0xE000 and chr(code_point).isprintable()
    ]

    assert uncovered
    for code_point in uncovered:
        assert printable("a" + chr(code_point) + "b") == "a" + REPLACEMENT + "b", hex(code_point)


def test_printable_cleans_control_and_format_characters():
    assert printable("tab\there") == "tab here"
    assert printable("zero\u200bwidth") == "zerowidth"
    assert printable("two\nlines") == "two\nlines"
    assert printable("bell\x07") == "bell"
