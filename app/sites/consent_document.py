"""Generate the 152-FZ consent document of a site from its settings, in Russian and English.

152-FZ Art. 9(4) lists what a written consent names: the operator, the purposes, the data, the
actions, the recipients, how long it lasts and how it is withdrawn (see
shared/reference/trackers-and-law.md, checklist items 12 and 21). The text is built from the
site's stored settings only, with no date or counter inside, so the same settings always give the
same bytes and therefore the same digest. No Flask inside.
"""
from babel import Locale

from app.sites.vendors import operator_country, site_vendors

#: Languages the generated document exists in; other visitors read the site's default language.
LANGUAGES = ("ru", "en")
TITLES = {"ru": "Согласие на обработку персональных данных",
          "en": "Consent to the processing of personal data"}

#: The actions of 152-FZ Art. 3(3), in the law's own order.
ACTIONS = {
    "ru": "сбор, запись, систематизация, накопление, хранение, уточнение (обновление, изменение), "
          "извлечение, использование, передача (предоставление, доступ), обезличивание, "
          "блокирование, удаление, уничтожение",
    "en": "collection, recording, systematisation, accumulation, storage, clarification "
          "(updating, changing), retrieval, use, transfer (provision, access), depersonalisation, "
          "blocking, deletion, destruction",
}
PURPOSES = {
    "ru": {"analytical": "сбор статистики посещений сайта и анализ того, как посетители им "
                         "пользуются, чтобы улучшать сайт",
           "marketing": "показ рекламы, соответствующей интересам посетителя, и измерение её "
                        "эффективности",
           "functional": "запоминание настроек посетителя, например языка или региона"},
    "en": {"analytical": "collecting visit statistics and analysing how visitors use the site, "
                         "to improve it",
           "marketing": "showing advertising that matches the visitor's interests and measuring "
                        "its effect",
           "functional": "remembering the visitor's preferences, such as language or region"},
}
CATEGORY_NAMES = {"ru": {"analytical": "Аналитические", "marketing": "Маркетинговые",
                         "functional": "Функциональные"},
                  "en": {"analytical": "Analytical", "marketing": "Marketing",
                         "functional": "Functional"}}
IP_TEXTS = {
    "ru": {"truncate": "IP-адрес (в доказательстве согласия хранится только сеть: /24 или /48)",
           "hash": "IP-адрес (в доказательстве согласия хранится только его ключевой хеш)"},
    "en": {"truncate": "the IP address (the proof of consent keeps only its network, /24 or /48)",
           "hash": "the IP address (the proof of consent keeps only a keyed hash of it)"},
}
DATA = {
    "ru": ["идентификаторы в файлах cookie и в хранилище браузера", "сведения о браузере и "
           "устройстве (user agent)", "адреса посещённых страниц сайта", "сам выбор посетителя "
           "в баннере: по каждой категории, время и версии документов"],
    "en": ["identifiers in cookies and in the browser's storage", "the browser and device "
           "(user agent)", "the addresses of the site's pages visited", "the visitor's choice "
           "in the banner itself: per category, its time and the documents' versions"],
}
LABELS = {
    "ru": {"operator": "Оператор", "inn": "ИНН / регистрационный номер", "address": "Адрес",
           "email": "Электронная почта", "not_stated": "не указан",
           "country_unknown": "страна не указана"},
    "en": {"operator": "Operator", "inn": "TIN / registration number", "address": "Address",
           "email": "E-mail", "not_stated": "not stated", "country_unknown": "country not stated"},
}


def generate_consent_document(site, catalog, language):
    """Return the consent document of a site in "ru" or "en" as plain text.

    site has the columns of a site row (app.sites.tables.Site); catalog is its app.sites.schema
    Catalog. Every other language gets the English text.
    """
    language = "ru" if language == "ru" else "en"
    sections = [
        _heading(site, language),
        _operator(site, language),
        _purposes(catalog, language),
        _data(site, language),
        _actions(language),
        _recipients(site, catalog, language),
        _duration(site, language),
        _withdrawal(site, language),
    ]
    return "\n\n".join(sections) + "\n"


def legal_name(site, language):
    """Return the operator's legal name in a language, or in the site's default language."""
    name = site.operator_legal_name
    if isinstance(name, dict):
        return name.get(language) or name[site.default_language]
    return name


def _heading(site, language):
    title = TITLES[language]
    sites = ", ".join(site.origins)
    if language == "ru":
        intro = (f"Посетитель сайта {site.name} ({sites}) свободно, своей волей и в своём интересе "
                 "даёт настоящее согласие оператору, указанному ниже, на обработку своих "
                 "персональных данных в соответствии с Федеральным законом от 27.07.2006 "
                 "№ 152-ФЗ «О персональных данных». Согласие даётся отдельно по каждой "
                 "категории кнопками баннера сайта; обязательные файлы cookie, без которых сайт "
                 "не работает, используются без согласия.")
    else:
        intro = (f"The visitor of the site {site.name} ({sites}) freely, of their own will and in "
                 "their own interest gives this consent to the operator named below to process "
                 "their personal data under Federal Law No. 152-FZ of 27 July 2006 \"On Personal "
                 "Data\". Consent is given per category with the site's banner buttons; mandatory "
                 "cookies, without which the site does not work, are used without consent.")
    return f"{title}\n{'=' * len(title)}\n\n{intro}"


def _operator(site, language):
    labels = LABELS[language]
    lines = [f"1. {labels['operator']}: {legal_name(site, language)}",
             f"   {labels['inn']}: {site.operator_registration_number or labels['not_stated']}",
             f"   {labels['address']}: {site.operator_address or labels['not_stated']}",
             f"   {labels['email']}: {site.operator_email}"]
    return "\n".join(lines)


def _purposes(catalog, language):
    heading = "2. Цели обработки" if language == "ru" else "2. Purposes of processing"
    lines = [heading + ":"]
    for category, _items in catalog.categories():
        if category != "mandatory":
            name = CATEGORY_NAMES[language][category]
            lines.append(f"   - {name}: {PURPOSES[language][category]}.")
    return "\n".join(lines)


def _data(site, language):
    heading = ("3. Обрабатываемые персональные данные" if language == "ru"
               else "3. Personal data processed")
    items = [DATA[language][0], IP_TEXTS[language][site.client_ip], *DATA[language][1:]]
    bullets = [f"   - {item};" for item in items]
    bullets[-1] = bullets[-1][:-1] + "."
    return "\n".join([heading + ":", *bullets])


def _actions(language):
    if language == "ru":
        return ("4. Действия с персональными данными (ч. 3 ст. 3 152-ФЗ), с использованием "
                f"средств автоматизации: {ACTIONS['ru']}.")
    return ("4. Actions with the personal data (152-FZ Art. 3(3)), by automated means: "
            f"{ACTIONS['en']}.")


def recipients(site, catalog):
    """Return (provider, country or None) of everyone the site's optional categories send data
    to, as the banner's first layer names them (app.sites.vendors): the trackers the gate may
    load and the catalog's other third parties."""
    found = {}
    vendors = site_vendors(site, catalog)
    for listed in vendors.values():
        for vendor in listed:
            found.setdefault(vendor.provider, vendor.country)
    return sorted(found.items())


def _recipients(site, catalog, language):
    labels = LABELS[language]
    found = recipients(site, catalog)
    heading = ("5. Третьи лица, которым передаются данные" if language == "ru"
               else "5. Third parties that receive the data")
    if not found:
        none = "нет" if language == "ru" else "none"
        return f"{heading}: {none}."
    lines = [heading + ":"]
    for provider, country in found:
        lines.append(f"   - {provider} ({_country_name(country, language) or labels['country_unknown']})")
    home = operator_country(site.operator_country, site.regime)
    abroad = [provider for provider, country in found if country and country != home]
    lines.append("")
    lines.append(_cross_border(abroad, home, language))
    return "\n".join(lines)


def _cross_border(abroad, home, language):
    if not abroad:
        if language == "ru":
            return "   Трансграничная передача персональных данных не осуществляется."
        return "   The personal data is not transferred across borders."
    names = ", ".join(abroad).rstrip(".")
    home_name = _country_name(home, language) or LABELS[language]["not_stated"]
    if language == "ru":
        return (f"   Трансграничная передача (ст. 12 152-ФЗ): данные получают лица за пределами "
                f"страны оператора ({home_name}): {names}.")
    return (f"   Cross-border transfer (152-FZ Art. 12): recipients outside the operator's "
            f"country ({home_name}): {names}.")


def _country_name(code, language):
    if not code:
        return None
    return Locale.parse(language).territories.get(code, code)


def _duration(site, language):
    lifetime, retention = site.consent_lifetime_days, site.retention_days
    if language == "ru":
        return (f"6. Срок действия согласия: {lifetime} дн. со дня его предоставления или до его "
                f"отзыва. Доказательство согласия хранится {retention} дн., после чего "
                "уничтожается.")
    return (f"6. This consent lasts {lifetime} days from when it is given, or until it is "
            f"withdrawn. The proof of consent is kept for {retention} days and then destroyed.")


def _withdrawal(site, language):
    email, address = site.operator_email, site.operator_address
    if language == "ru":
        letter = f" или письмом по адресу {address}" if address else ""
        return ("7. Отзыв согласия: в любой момент кнопкой «Настройки cookie», которая есть на "
                f"каждой странице сайта, либо по электронной почте {email}{letter}. Отзыв не влияет на "
                "законность обработки до него.")
    letter = f" or by a letter to {address}" if address else ""
    return ("7. Withdrawal: at any time with the \"Cookie settings\" button on every page of the "
            f"site, or by e-mail to {email}{letter}. Withdrawal does not affect the lawfulness of "
            "processing before it.")
