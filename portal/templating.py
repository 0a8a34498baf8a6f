"""Templates compiled once per language, with the translation of every literal `_("…")` written
into the compiled template.

Flask-Babel translates at render time: each `{{ _("Vurdering") }}` goes through Jinja's i18n
wrappers, Flask-Babel's context lookups and the catalog, about 10 µs a string, and a page has a
few hundred. The templates use about 1,200 literal message ids and few others, so `PortalFlask`
keeps one overlay of the Jinja environment per language whose lexer replaces `_("literal")`
with its translation passed through the `portal_translation` filter, which marks it safe under
autoescape exactly as Jinja's newstyle gettext does, deciding at render time (so inside an
`{% autoescape %}` block too, and never folded into a constant that would then be escaped).
Calls with a variable, placeholders or a count (`ngettext`) still go through Flask-Babel at
render time. A language's environment copies the base environment's settings (loader,
`auto_reload`, …) when it is first made; filters and globals stay shared.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, cast

from flask import Flask, has_app_context
from flask.templating import Environment
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.runtime import Context
from markupsafe import Markup

# Jinja's default: how many compiled templates each language keeps.
TEMPLATE_CACHE_SIZE = 400
FILTER = "portal_translation"


@pass_context
def translation(context: Context, text: str) -> str:
    """What Jinja's newstyle gettext returns for a message without variables: Markup under
    autoescape, the text otherwise. It takes the context so that Jinja never evaluates it at
    compile time (a constant `~` join would then turn the Markup into an escaped string)."""
    return Markup(text) if context.eval_ctx.autoescape else text  # noqa: S704 - a translation


class LiteralTranslations(Extension):
    """Replace `_("literal")` by its translation in this environment's language.

    Only the exact tokens `_ ( string )` are replaced (not `x._(…)`); a translation that is not
    a valid format string is left for the render-time call, which then fails as before."""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.filters[FILTER] = translation

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        translations = getattr(self.environment, "portal_translations", None)
        if translations is None:
            return stream
        return _folded(list(stream), translations)


def _folded(tokens: list[Token], translations: Any) -> Iterator[Token]:
    i = 0
    while i < len(tokens):
        token = tokens[i]
        text = _literal_call(tokens, i, translations)
        if text is None:
            yield token
            i += 1
            continue
        line = token.lineno
        yield Token(line, "lparen", "(")
        yield Token(line, "string", text)
        yield Token(line, "pipe", "|")
        yield Token(line, "name", FILTER)
        yield Token(line, "rparen", ")")
        i += 4


def _literal_call(tokens: list[Token], i: int, translations: Any) -> str | None:
    """The translated text when tokens[i:i+4] are `_ ( "literal" )`, else None."""
    if i + 3 >= len(tokens):
        return None
    name, lparen, literal, rparen = tokens[i : i + 4]
    if not (
        name.type == "name"
        and name.value == "_"
        and lparen.type == "lparen"
        and literal.type == "string"
        and rparen.type == "rparen"
        and (i == 0 or tokens[i - 1].type != "dot")
    ):
        return None
    try:
        # Newstyle gettext always formats, with no variables here: "%%" becomes "%".
        return str(translations.gettext(literal.value) % {})
    except (TypeError, ValueError, KeyError):
        return None


class PortalFlask(Flask):
    """Flask whose `jinja_env` is the environment of the language being rendered in (the
    request's, or the one `force_locale` set); outside an application context it is the base
    environment that extensions configure at start-up."""

    @property  # type: ignore[override]  # Flask's is a cached_property
    def jinja_env(self) -> Environment:
        base: Environment | None = self.__dict__.get("_base_jinja_env")
        if base is None:
            base = self.__dict__["_base_jinja_env"] = cast(
                Environment, self.create_jinja_environment()
            )
        if not has_app_context():
            return base
        locale = get_locale()
        if locale is None:
            return base
        key = str(locale)
        overlays: dict[str, Environment] = self.__dict__.setdefault("_language_jinja_envs", {})
        env = overlays.get(key)
        if env is None:
            env = cast(
                Environment,
                base.overlay(cache_size=TEMPLATE_CACHE_SIZE, extensions=[LiteralTranslations]),
            )
            env.portal_translations = get_translations()  # type: ignore[attr-defined]
            # Another thread may have made one meanwhile; either is equivalent.
            env = overlays.setdefault(key, env)
        return env
