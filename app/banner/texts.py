"""Banner texts: gettext messages, resolved per language with the site owner's overrides."""
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

# Keys are stable: site files override texts by these keys, and proofs hash the resolved texts.
BANNER_TEXTS = {
    # i18n: heading of the cookie banner's first layer
    "title": _l("We value your privacy"),
    # i18n: first-layer text; %(operator)s is the company's legal name
    "intro": _l(
        "%(operator)s uses cookies and similar technologies on this site. Apart from mandatory "
        "cookies, which the site needs to work, we use them only with your consent, for the "
        "purposes below."
    ),
    # i18n: button that allows every cookie category
    "accept_all": _l("Accept all"),
    # i18n: button that refuses every optional cookie category
    "reject_all": _l("Reject all"),
    # i18n: button that opens the per-category choices
    "settings": _l("Settings"),
    # i18n: button in the settings layer that stores the chosen switches
    "save": _l("Save choices"),
    # i18n: accessible label of the banner's close (×) button; closing counts as refusal
    "close": _l("Close and reject optional cookies"),
    # i18n: heading of the settings layer, and the label of the small launcher button on every page
    "settings_title": _l("Cookie settings"),
    # i18n: text at the top of the settings layer
    "settings_intro": _l(
        "Choose which kinds of cookies you allow. You can change your choice at any time "
        "with the “Cookie settings” button."
    ),
    # i18n: link to the site's privacy policy
    "privacy_policy": _l("Privacy policy"),
    # i18n: link to the separate consent document required by Russian law 152-FZ
    "consent_document": _l("Consent to personal data processing"),
    # i18n: label next to the locked switch of mandatory cookies
    "always_on": _l("Always on"),
    # i18n: name of the cookie category the site needs to work
    "category_mandatory": _l("Mandatory"),
    # i18n: name of the cookie category for visitor statistics
    "category_analytical": _l("Analytical"),
    # i18n: name of the cookie category for advertising
    "category_marketing": _l("Marketing"),
    # i18n: name of the cookie category for preferences such as language
    "category_functional": _l("Functional"),
    "about_mandatory": _l("Needed for the site to work and to remember your choice."),
    "about_analytical": _l("Help us understand how visitors use the site, so we can improve it."),
    "about_marketing": _l("Used to show you relevant advertising and to measure its effect."),
    "about_functional": _l("Remember your preferences, such as language or region."),
    # i18n: column heading in the cookie table: the cookie's name
    "column_name": _l("Name"),
    # i18n: column heading in the cookie table: who sets the cookie
    "column_provider": _l("Provider"),
    # i18n: column heading in the cookie table: what the cookie is for
    "column_purpose": _l("Purpose"),
    # i18n: column heading in the cookie table: how long the cookie is kept
    "column_lifetime": _l("Lifetime"),
    # i18n: provider of a cookie that the site itself sets
    "first_party": _l("This site"),
    # i18n: lifetime of a cookie deleted when the browser closes
    "lifetime_session": _l("Until the browser is closed"),
    # i18n: lifetime of browser storage that stays until it is deleted
    "lifetime_persistent": _l("Until deleted"),
    # i18n: shown when the banner reappears because the cookie list changed
    "changed_catalog": _l("The list of cookies has changed since your last choice."),
    # i18n: shown when the banner reappears because the privacy policy changed
    "changed_policy": _l("Our privacy policy has been updated since your last choice."),
    # i18n: shown when the banner reappears because the visitor's choice expired
    "changed_expired": _l("Your previous choice has expired."),
    # i18n: shown when the browser sends the Global Privacy Control signal
    "gpc_notice": _l(
        "Your browser asks sites not to track you (Global Privacy Control), so analytical and "
        "marketing cookies are off. You can still turn them on here."
    ),
    # i18n: placeholder over embedded content (video, map) blocked until consent
    "blocked_content": _l("This content is hidden until you allow cookies of this kind:"),
    # i18n: button on a blocked-content placeholder that allows its cookie category
    "allow": _l("Allow"),
}
CATEGORIES = ("mandatory", "functional", "analytical", "marketing")


def resolve_texts(language, operator, overrides=None):
    """Return every banner text in one language, with the site owner's overrides applied."""
    with force_locale(language.replace("-", "_")):
        texts = {key: str(message) for key, message in BANNER_TEXTS.items()}
    texts.update((overrides or {}).get(language, {}))
    texts["intro"] = texts["intro"].replace("%(operator)s", operator)
    return texts
