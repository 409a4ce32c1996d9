"""Compile a Typst document in a child process that exits afterwards, so that its memory goes with it.

Typst keeps what it computed for every document it compiled, for as long as
the process lives, and typst-py offers no way to let it go: a long customer
statement left about 170 MB behind in a web process. A long document is
therefore compiled by ``python -m ardoise.pdf.apart``, started for it. The
request goes to its standard input as JSON. The child writes one JSON line
(warnings or error) to its standard output, followed by the PDF.
This module imports nothing of Django, so the child starts quickly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import typst

# A year of 1,739 lines takes about a second on a 2-core machine, so this allows for far longer
# statements on slower machines before the child is taken as stuck.
TIMEOUT_SECONDS = 300


class CompileError(Exception):
    """Typst refused the document (``from_typst``, the argument is its message), or the child process failed."""

    def __init__(self, message: str, *, from_typst: bool = False) -> None:
        super().__init__(message)
        self.from_typst = from_typst


def load_fonts(paths: Sequence[Path]) -> typst.Fonts:
    """Load these font files, and no system font nor Typst's built-in ones.

    The font package ships every weight twice, as OpenType and as TrueType,
    and Typst takes the first file of a weight in directory order, which
    differs between file systems. A throwaway directory of links to one file
    per weight fixes the choice; Typst records the files' real paths, so the
    links are no longer needed once the fonts are listed.
    """
    with tempfile.TemporaryDirectory(prefix="ardoise-fonts-") as directory:
        for path in paths:
            os.symlink(path, Path(directory) / path.name)
        return typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[directory])


def compile_apart(template: Path, fonts: Sequence[Path], payload: str, *, tags: bool) -> tuple[bytes, list[str]]:
    """Compile ``template`` with ``payload`` as ``sys.inputs.data`` in a child process; return the PDF and warnings."""
    request = {"template": str(template), "fonts": [str(path) for path in fonts], "payload": payload, "tags": tags}
    try:
        child = subprocess.run(
            [sys.executable, "-m", "ardoise.pdf.apart"],
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise CompileError("Typst child process timed out after %d s" % TIMEOUT_SECONDS) from error
    except OSError as error:
        raise CompileError("Typst child process could not start: %s" % error) from error
    header, _newline, pdf = child.stdout.partition(b"\n")
    if child.returncode != 0 or not header:
        reason = child.stderr.decode(errors="replace")[-500:]
        raise CompileError("Typst child process failed with exit status %s: %s" % (child.returncode, reason))
    result = json.loads(header)
    if result["error"] is not None:
        raise CompileError(result["error"], from_typst=True)
    return pdf, result["warnings"]


def _compile(request: dict[str, object]) -> tuple[bytes, dict[str, object]]:
    template = str(request["template"])
    compiler = typst.Compiler(
        template,
        root=str(Path(template).parent),
        font_paths=load_fonts([Path(path) for path in cast(list[str], request["fonts"])]),
        ignore_system_fonts=True,
    )
    try:
        pdf, warnings = compiler.compile_with_warnings(
            format="pdf", sys_inputs={"data": str(request["payload"])}, pdf_tags=bool(request["tags"])
        )
    except typst.TypstError as error:
        return b"", {"error": error.message, "warnings": []}
    # PDF output is one document in bytes; only PNG and SVG outputs are lists of pages.
    return cast(bytes, pdf), {"error": None, "warnings": [warning.message for warning in warnings]}


if __name__ == "__main__":
    pdf, result = _compile(json.loads(sys.stdin.buffer.read()))
    sys.stdout.buffer.write(json.dumps(result).encode() + b"\n" + pdf)
