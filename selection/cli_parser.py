"""argparse in Danish (default) or English, for ``python -m selection``.

argparse writes its own texts ("usage:", "options", "show this help message and exit", "the
following arguments are required", ...) in English. Rather than installing a gettext catalog
(global state, and argparse's message domain is not its own), this module uses the parser's
overridable parts: a ``HelpFormatter`` subclass gives the usage prefix and the section headings,
the parser adds its own ``-h/--help`` and overrides ``error()``, which translates argparse's
fixed messages. A message it does not know is shown as it is, still after ``fejl:``.

``geo/cli_parser.py`` is the Danish-only twin for ``python -m geo``; keep the two in step.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

USAGE_PREFIX = "brug: "
HEADINGS = {
    "positional arguments": "argumenter",
    "options": "tilvalg",
    "optional arguments": "tilvalg",
}
TYPE_WORDS = {"int": "et heltal", "float": "et tal"}

# argparse's messages (CPython 3.11) and their Danish texts; {0}, {1} are the captured parts.
MESSAGES: tuple[tuple[str, str], ...] = (
    (r"the following arguments are required: (.*)", "følgende argumenter mangler: {0}"),
    (r"unrecognized arguments: (.*)", "ukendte argumenter: {0}"),
    (r"ambiguous option: (.*) could match (.*)", "tvetydigt tilvalg: {0} kan være {1}"),
    (r"one of the arguments (.*) is required", "et af argumenterne {0} skal angives"),
    (r"unexpected option string: (.*)", "uventet tilvalg: {0}"),
)
ARGUMENT_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"invalid choice: (.*) \(choose from (.*)\)", "ugyldigt valg: {0} (vælg mellem {1})"),
    (r"expected one argument", "mangler en værdi"),
    (r"expected at most one argument", "tager højst én værdi"),
    (r"expected at least one argument", "mangler mindst én værdi"),
    (r"expected (\d+) arguments?", "skal have {0} værdier"),
    (r"not allowed with argument (.*)", "kan ikke bruges sammen med {0}"),
    (r"ignored explicit argument (.*)", "tager ingen værdi (fik {0})"),
)


def danish_message(message: str) -> str:
    """argparse's English error ``message`` in Danish; unknown messages unchanged."""
    argument = re.fullmatch(r"argument (.+?): (.*)", message, flags=re.DOTALL)
    if argument:
        name, rest = argument.groups()
        return f"argument {name}: {_translate(rest, ARGUMENT_MESSAGES)}"
    return _translate(message, MESSAGES)


def _translate(message: str, table: tuple[tuple[str, str], ...]) -> str:
    for pattern, danish in table:
        found = re.fullmatch(pattern, message, flags=re.DOTALL)
        if found:
            return danish.format(*found.groups())
    invalid = re.fullmatch(r"invalid (\w+) value: (.*)", message, flags=re.DOTALL)
    if invalid:
        kind, value = invalid.groups()
        return f"skal være {TYPE_WORDS.get(kind, kind)}, fik {value}"
    return message


class DanishHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help in Danish: ``brug:`` and Danish section headings; description and epilog kept as
    written (they hold the exit-status table)."""

    def add_usage(
        self,
        usage: str | None,
        actions: Any,
        groups: Any,
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, USAGE_PREFIX if prefix is None else prefix)

    def start_section(self, heading: str | None) -> None:
        super().start_section(HEADINGS.get(heading or "", heading))


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose own texts are Danish (``lang="da"``) or English.

    Subcommand parsers made with ``add_parser(..., lang=...)`` are of this class too. Usage
    errors exit with status 2, as in argparse: ``<prog>: fejl: <Danish message>``.
    """

    def __init__(self, *args: Any, lang: str = "da", **kwargs: Any) -> None:
        self.lang = lang
        kwargs.setdefault(
            "formatter_class",
            DanishHelpFormatter if lang == "da" else argparse.RawDescriptionHelpFormatter,
        )
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self.add_argument(
            "-h",
            "--help",
            action="help",
            default=argparse.SUPPRESS,
            help=self.text("vis denne hjælp og afslut", "show this help message and exit"),
        )

    def text(self, da: str, en: str) -> str:
        """The Danish or English text, after this parser's language."""
        return en if self.lang == "en" else da

    def error(self, message: str) -> NoReturn:
        if self.lang == "en":
            super().error(message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: fejl: {danish_message(message)}\n")


def language_in(argv: Sequence[str]) -> str:
    """``en`` when ``argv`` asks for ``--lang en`` (or ``--lang=en``), else ``da``.

    Read before parsing, so help and usage errors already come in the chosen language.
    """
    items = list(argv)
    for i, item in enumerate(items):
        if item == "--lang" and i + 1 < len(items):
            return "en" if items[i + 1] == "en" else "da"
        if item.startswith("--lang="):
            return "en" if item.split("=", 1)[1] == "en" else "da"
    return "da"


def number_type(
    lang: str, *, minimum: float = 0.0, strict: bool = False, integer: bool = False
) -> Callable[[str], Any]:
    """An argparse ``type`` that accepts a number ≥ ``minimum`` (> with ``strict``) and says
    what is wrong in ``lang``."""
    kind = ("et heltal", "an integer") if integer else ("et tal", "a number")
    bound = ">" if strict else "≥"
    limit = f"{minimum:g}"

    def convert(raw: str) -> Any:
        try:
            value: float = int(raw) if integer else float(raw)
        except ValueError:
            value = float("nan")
        ok = math.isfinite(value) and (value > minimum if strict else value >= minimum)
        if not ok:
            da = f"skal være {kind[0]} {bound} {limit}, fik '{raw}'"
            en = f"must be {kind[1]} {bound} {limit}, got '{raw}'"
            raise argparse.ArgumentTypeError(en if lang == "en" else da)
        return value

    return convert
