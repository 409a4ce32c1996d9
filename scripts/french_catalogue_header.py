"""Give the French catalogue a clean header with the French plural rule.

``make messages`` regenerates the catalogue from scratch and copies every
msgid into its msgstr, because the source strings are French already. This
script then replaces the template header that ``makemessages`` writes.
"""

import sys
from pathlib import Path

HEADER = """# French messages of Ardoise. The source strings are already French: every
# msgstr repeats its msgid so that Django applies the French plural rule.
# Regenerate with `make messages`.
msgid ""
msgstr ""
"Project-Id-Version: ardoise\\n"
"Language: fr\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"
"""


def main(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # The header entry ends at the first blank line.
    body = text.split("\n\n", 1)[1]
    path.write_text(HEADER + "\n" + body.replace("#, fuzzy\n", ""), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
