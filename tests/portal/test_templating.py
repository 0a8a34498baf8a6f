"""Templates compiled per language: a literal `_("…")` is translated once, at compile time, and
gives the same page as the render-time call did, in both languages and under `force_locale`."""

from __future__ import annotations

from flask import Flask, render_template_string
from flask_babel import force_locale
from jinja2.lexer import Token

from portal.templating import LiteralTranslations, _literal_call
from tests.conftest import csrf_token, login


def _switch(client, lang: str) -> None:
    page = client.get("/").get_data(as_text=True)
    client.post("/sprog", data={"lang": lang, "next": "/", "csrf_token": csrf_token(page)})


def test_one_process_renders_danish_then_english_then_danish(client, make_user) -> None:
    from portal.models import Role

    login(client, make_user(Role.SIGNATORY, "HK").email)
    danish = client.get("/").get_data(as_text=True)
    assert "Log ud" in danish and "Gå til sideindhold" in danish
    _switch(client, "en")
    english = client.get("/").get_data(as_text=True)
    assert "Sign out" in english and "Skip to content" in english
    assert "Log ud" not in english and "Gå til sideindhold" not in english
    _switch(client, "da")
    again = client.get("/").get_data(as_text=True)
    assert "Log ud" in again and "Sign out" not in again


def test_force_locale_in_an_english_request_compiles_danish(app: Flask) -> None:
    source = '{{ _("Log ud") }}|{{ _("Log ud") ~ "<b>" }}'
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = "en"
        assert render_template_string(source) == "Sign out|Sign out&lt;b&gt;"
        with force_locale("da"):
            assert render_template_string(source) == "Log ud|Log ud&lt;b&gt;"


def test_only_plain_literal_calls_are_replaced(app: Flask) -> None:
    with app.test_request_context("/"):
        from flask import session

        session["lang"] = "en"
        env = app.jinja_env
        assert env.extensions[LiteralTranslations.identifier]
        # An attribute called `_` is not the gettext alias; a variable message is translated
        # at render time; a literal with a placeholder keeps its render-time formatting.
        template = env.from_string(
            '{{ o._("Log ud") }}|{{ _(m) }}|'
            '{{ _("%(name)s er allerede tildelt ansøgningen.", name="<Ib>") }}'
        )
        assert template.render(o={"_": lambda s: "[" + s + "]"}, m="Log ud") == (
            "[Log ud]|Sign out|&lt;Ib&gt; is already assigned to the application."
        )


def test_translation_is_written_as_markup_like_the_render_time_call(app: Flask) -> None:
    """Under autoescape the translation is not escaped again (Jinja's newstyle gettext returns
    Markup), and "%%" becomes "%" as the render-time formatting makes it. A translation that is
    no format string is left to the render-time call."""

    class Catalog:
        def gettext(self, message: str) -> str:
            return {"a": "<em>A</em> & 100%%", "bad": "100 %"}.get(message, message)

    env = app.jinja_env.overlay(cache_size=10, extensions=[LiteralTranslations])
    env.portal_translations = Catalog()  # type: ignore[attr-defined]
    assert env.from_string('{{ _("a") }}').render() == "<em>A</em> & 100%"
    call = [Token(1, "name", "_"), Token(1, "lparen", "("), Token(1, "string", "bad")]
    assert _literal_call([*call, Token(1, "rparen", ")")], 0, Catalog()) is None
    assert _literal_call([*call, Token(1, "rparen", ")")][:3], 0, Catalog()) is None
    assert (
        _literal_call(
            [Token(1, "name", "_"), *call[1:2], Token(1, "string", "a"), Token(1, "rparen", ")")],
            0,
            Catalog(),
        )
        == "<em>A</em> & 100%"
    )


SNIPPETS = (
    '{{ _("Log ud") }}',
    '{{ _("Den nye frist skal ligge efter rundens frist.") ~ "!" }}',
    '{{ "<" ~ _("Den nye frist skal ligge efter rundens frist.") }}',
    '{% set t = _("Den nye frist skal ligge efter rundens frist.") ~ " " %}{{ t }}',
    '{{ (_("Den nye frist skal ligge efter rundens frist.") ~ "")|upper }}',
    '{% autoescape false %}{{ _("Den nye frist skal ligge efter rundens frist.") ~ "<" }}'
    "{% endautoescape %}",
    '{{ _("Log ud")|length }}|{{ [_("Log ud"), "<b>"]|join(", ") }}',
    '{% macro m(x=_("Log ud")) %}{{ x }}{% endmacro %}{{ m() }}',
)


def test_compiled_translations_render_as_the_render_time_call_does(app: Flask) -> None:
    """The same snippets through the language's environment and through the base one (which
    translates at render time) give the same output: constant joins, `{% autoescape %}`
    blocks, filters and macro defaults included."""
    from flask import session

    for lang in ("da", "en"):
        with app.test_request_context("/"):
            session["lang"] = lang
            folded = app.jinja_env
            base = app._base_jinja_env  # type: ignore[attr-defined]
            assert folded is not base
            for source in SNIPPETS:
                assert folded.from_string(source).render() == base.from_string(source).render()
            # The English apostrophe is written as it stands, not escaped into &#39;.
            if lang == "en":
                rendered = folded.from_string(SNIPPETS[1]).render()
                assert rendered == "The new deadline must be after the call's deadline.!"
