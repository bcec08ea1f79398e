"""Language choice: the user's saved choice, else the session's, else Chinese."""

from flask import current_app, g, has_request_context, session
from flask_babel import Babel, Domain
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # commands and Celery tasks speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


class RequestDomain(Domain):
    """Flask-Babel's message domain, with a request's translations found once.

    Flask-Babel finds the translations again for every string it translates (a dozen lookups
    through Flask's context-locals each time): a page of the worker list translates some 200
    strings. Here the translations found are kept beside the locale they were found for, in the
    request's Babel context, and used again while that locale is current — a force_locale() block
    (a statement in the worker's language) or a refresh() sets another locale object, which
    finds its own.
    """

    def get_translations(self):
        ctx = _babel_context()
        if ctx is not None:
            kept = ctx.__dict__.get("kept_translations")
            if kept is not None and kept[0] is self and kept[1] is ctx.__dict__.get("babel_locale"):
                return kept[2]
        translations = super().get_translations()
        ctx = _babel_context()  # made by the lookup if it was not there
        locale = None if ctx is None else ctx.__dict__.get("babel_locale")
        if locale is not None:
            ctx.kept_translations = (self, locale, translations)
        return translations


def _babel_context():
    try:
        return g.get("_flask_babel")
    except RuntimeError:  # outside an application context: Flask-Babel's null translations
        return None


def init_babel(app, babel: Babel) -> None:
    """Flask-Babel with RequestDomain as its domain, for Python code (gettext, lazy_gettext)
    and for templates ({{ _("…") }}, which otherwise find the translations by another path)."""
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    domain = babel.__dict__.get("domain_instance")
    if not isinstance(domain, RequestDomain):
        # the Babel extension is one object for every app of the process; its domain too
        domain = babel.__dict__["domain_instance"] = RequestDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
