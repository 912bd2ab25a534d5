"""Which of a site's languages a visitor sees, and the first script's texts in that language."""
import hashlib


def _base(tag):
    return tag.lower().replace("_", "-").split("-")[0]


def _match(tag, languages):
    """Return the site language a tag names exactly, else one of the same base language."""
    exact = [code for code in languages if code.lower() == tag.lower().replace("_", "-")]
    return (exact or [code for code in languages if _base(code) == _base(tag)] or [None])[0]


def accepted_tags(header):
    """Return the tags of an Accept-Language header, most preferred first; q=0 refuses a tag."""
    weighted = []
    for position, entry in enumerate(header.split(",")[:32]):
        tag, _, parameters = entry.partition(";")
        tag, quality = tag.strip(), parameters.strip().removeprefix("q=").strip()
        try:
            weight = float(quality) if parameters else 1.0
        except ValueError:
            weight = 1.0
        if tag and tag != "*" and weight > 0:
            weighted.append((-weight, position, tag))
    return [tag for _weight, _position, tag in sorted(weighted)]


def negotiate(tags, languages, default):
    """Return the first site language one of the tags asks for, else the site's default.

    Tags are tried in order, each exactly and then by its base language, as the banner's own
    pickLanguage does in the browser; so both sides agree whenever the page's lang does.
    """
    for tag in tags:
        match = _match(tag, languages)
        if match:
            return match
    return default


def texts_version(text_sets):
    """Return one short hash of every language's text set: it names the per-language texts' URL."""
    lines = "\n".join(f"{language}:{texts['digest']}" for language, texts in sorted(text_sets.items()))
    return hashlib.sha256(lines.encode()).hexdigest()[:16]
