"""The banner's texts: their keys and English messages, marked for translation (no Flask).

The banner translates them per language (the banner area); site files override them by key.
"""


def N_(message):  # noqa: N802  (gettext's name for "mark for extraction only")
    """Mark a message for the translation catalogs; it is translated where it is shown."""
    return message


# Keys are stable: site files override texts by these keys, and proofs hash the resolved texts.
BANNER_TEXTS = {
    # i18n: heading of the cookie banner's first layer
    "title": N_("We value your privacy"),
    # i18n: first-layer text; %(operator)s is the company's legal name
    "intro": N_(
        "%(operator)s uses cookies and similar technologies. Apart from the mandatory ones, "
        "which the site needs to work, only with your consent:"
    ),
    # i18n: button that allows every cookie category
    "accept_all": N_("Accept all"),
    # i18n: button that refuses every optional cookie category
    "reject_all": N_("Reject all"),
    # i18n: button that opens the per-category choices
    "settings": N_("Settings"),
    # i18n: button in the settings layer that stores the chosen switches
    "save": N_("Save choices"),
    # i18n: first layer, after the categories; %(country)s is the operator's country,
    # %(countries)s the other countries where providers receive data
    "cross_border": N_(
        "Some providers are outside %(country)s: data about your visit goes to %(countries)s."
    ),
    # i18n: first layer; %(days)s is a duration such as "180 days"
    "kept": N_(
        "Your choice is kept for %(days)s. Change it at any time with the cookie button on "
        "every page."
    ),
    # i18n: first layer, when a refusal is kept for a shorter time than a consent
    "kept_both": N_(
        "Your consent is kept for %(days)s, a refusal for %(refusal_days)s. Change your choice "
        "at any time with the cookie button on every page."
    ),
    # i18n: first layer; cookies that Yandex, Google or Meta set on their own domains
    "third_party_cookies": N_(
        "Cookies that providers set on their own domains cannot be deleted by this site: clear "
        "them in your browser."
    ),
    # i18n: on a placeholder of blocked content; %(vendors)s lists who starts receiving data
    "placeholder_vendors": N_("Allowing it also starts: %(vendors)s."),
    # i18n: accessible label of the banner's close (×) button; closing counts as refusal
    "close": N_("Close and reject optional cookies"),
    # i18n: heading of the settings layer, and the label of the small launcher button on every page
    "settings_title": N_("Cookie settings"),
    # i18n: text at the top of the settings layer
    "settings_intro": N_(
        "Choose which kinds of cookies you allow. You can change your choice at any time "
        "with the “Cookie settings” button."
    ),
    # i18n: link to the site's privacy policy
    "privacy_policy": N_("Privacy policy"),
    # i18n: link to the separate consent document required by Russian law 152-FZ
    "consent_document": N_("Consent to personal data processing"),
    # i18n: label next to the locked switch of mandatory cookies
    "always_on": N_("Always on"),
    # i18n: name of the cookie category the site needs to work
    "category_mandatory": N_("Mandatory"),
    # i18n: name of the cookie category for visitor statistics
    "category_analytical": N_("Analytical"),
    # i18n: name of the cookie category for advertising
    "category_marketing": N_("Marketing"),
    # i18n: name of the cookie category for preferences such as language
    "category_functional": N_("Functional"),
    "about_mandatory": N_("Needed for the site to work and to remember your choice."),
    "about_analytical": N_("Help us understand how visitors use the site, so we can improve it."),
    "about_marketing": N_("Used to show you relevant advertising and to measure its effect."),
    "about_functional": N_("Remember your preferences, such as language or region."),
    # i18n: column heading in the cookie table: the cookie's name
    "column_name": N_("Name"),
    # i18n: column heading in the cookie table: who sets the cookie
    "column_provider": N_("Provider"),
    # i18n: column heading in the cookie table: what the cookie is for
    "column_purpose": N_("Purpose"),
    # i18n: column heading in the cookie table: how long the cookie is kept
    "column_lifetime": N_("Lifetime"),
    # i18n: provider of a cookie that the site itself sets
    "first_party": N_("This site"),
    # i18n: lifetime of a cookie deleted when the browser closes
    "lifetime_session": N_("Until the browser is closed"),
    # i18n: lifetime of browser storage that stays until it is deleted
    "lifetime_persistent": N_("Until deleted"),
    # i18n: shown when the banner reappears because a provider joined a category the visitor
    # allowed; %(vendors)s lists the providers, %(category)s names the category
    "changed_vendors": N_("Added since your last choice: %(vendors)s (%(category)s)."),
    # i18n: shown when the banner reappears because the privacy policy changed
    "changed_policy": N_("Our privacy policy has been updated since your last choice."),
    # i18n: shown when the banner reappears because the visitor's choice expired
    "changed_expired": N_("Your previous choice has expired."),
    # i18n: shown when the browser sends the Global Privacy Control signal
    "gpc_notice": N_(
        "Your browser asks sites not to track you (Global Privacy Control), so analytical and "
        "marketing cookies are off. You can still turn them on here."
    ),
    # i18n: placeholder over embedded content (video, map) blocked until consent
    "blocked_content": N_("This content is hidden until you allow cookies of this kind:"),
    # i18n: button on a blocked-content placeholder that allows its cookie category
    "allow": N_("Allow"),
}
