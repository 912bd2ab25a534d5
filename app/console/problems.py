"""Say what is wrong with a site in the console's language.

Site validation (pydantic, app.sites.schema) speaks English to site files and the shell; the
console maps each error to a translated message by its type and field, and puts it at the form
field it is about. A message no rule knows keeps its English detail behind a translated prefix.
"""
import re

from flask_babel import gettext as _

from app.sites.trackers import TRACKERS

#: Model-level problems name their field in the message's first word.
_LEADING_FIELD = re.compile(r"^([a-z_]+(?:\.[a-z_]+|\[\d+\])*)[: ]")


def _value_rules():
    """Return (pattern, field or None, message factory) for pydantic's value errors."""
    return [
        (r"'(.+)' must use https", None,
         lambda m: _("%(value)s must use https (http only for localhost).", value=m[1])),
        (r"'(.+)' is not an origin like", None,
         lambda m: _("%(value)s is not an origin like https://example.com.", value=m[1])),
        (r"'(.+)' is not a known language code", None,
         lambda m: _("%(value)s is not a known language code.", value=m[1])),
        (r"'(.+)' is not an ISO 3166-1", None,
         lambda m: _("%(value)s is not a two-letter country code such as RU or SI.", value=m[1])),
        (r"value is not a valid email address", None,
         lambda m: _("Not a valid e-mail address.")),
        (r"default_language '(.+)' is not in languages", "default_language",
         lambda m: _("%(value)s is not one of the site's languages.", value=m[1])),
        (r"refusal_lifetime_days must not exceed", "refusal_lifetime_days",
         lambda m: _("Must not be longer than the consent lifetime.")),
        (r"give a url, a text or a file", None, lambda m: _("Give a URL or a text.")),
        (r"(\S+) is in the future", None,
         lambda m: _("%(value)s is in the future; give the date it was filed.", value=m[1])),
        (r"must be true: the cross-border", None,
         lambda m: _("Must be confirmed: cross-border trackers load only once localisation "
                     "was assessed.")),
        (r"lifetime '(.+)' is not 'session'", None,
         lambda m: _("%(value)s is not a lifetime: write session, persistent or a number of "
                     "minutes, hours, days, months or years.", value=m[1])),
        (r"lifetime must be longer than zero", None,
         lambda m: _("Must be longer than zero; write session for a session cookie.")),
        (r"'(.+)' is not a domain name", None,
         lambda m: _("%(value)s is not a domain name.", value=m[1])),
        (r"has no (?:text|value) in the default language '(.+)'", None,
         lambda m: _("Give a text in the default language (%(value)s).", value=m[1])),
        (r"^[\w.]+: '(.+)' is not in languages", None,
         lambda m: _("%(value)s is not one of the site's languages.", value=m[1])),
        (r"not a banner text key", None, lambda m: _("Not a text the banner shows.")),
    ] + _pattern_rules()


def _pattern_rules():
    """Return the rules for owner regular expressions outside the safe subset (app.sites.patterns)."""
    return [
        (r"^name '.*' nests a quantifier", None,
         lambda m: _("Nests a quantifier inside a quantified group, which can take exponential "
                     "time: quantify single characters or classes only.")),
        (r"^name '.*' repeats an alternation", None,
         lambda m: _("Repeats an alternation such as (a|b)*, which can take exponential time: "
                     "use a character class such as [ab]* instead.")),
        (r"^name '.*' uses inline flags", None,
         lambda m: _("Uses inline flags such as (?i), which browsers do not read here.")),
        (r"^name '.*' uses \\A or \\Z", None, lambda m: _("Uses \\A or \\Z: use ^ and $.")),
        (r"^name '.*' uses .+, which the safe subset leaves out", None,
         lambda m: _("Uses a backreference, a lookaround, an atomic group or a possessive "
                     "quantifier, which the safe subset of regular expressions leaves out.")),
        (r"^name '.*' is longer than (\d+) characters", None,
         lambda m: _("A regular expression may be at most %(max)s characters long.", max=m[1])),
        (r"^name '.*' is not a valid regular expression", None,
         lambda m: _("Not a valid regular expression.")),
    ]


def _pattern_message(field):
    if field == "id":
        return _("Use 2 to 40 characters: a-z, 0-9 and '-', starting and ending with a letter "
                 "or digit.")
    tracker = TRACKERS.get(field.rsplit(".", 1)[-1])
    if tracker is not None:
        return _("Not a valid %(label)s.", label=_(tracker.id_label))
    if field.endswith("url") or ".url" in field:
        return _("Must be a URL starting with https://.")
    return _("Does not have the expected form.")


def _typed_message(kind, context, field):
    messages = {
        "missing": lambda: _("Required."),
        "extra_forbidden": lambda: _("Not a known field."),
        "string_too_long": lambda: _("At most %(max)d characters.", max=context["max_length"]),
        "too_short": lambda: _("Give at least %(min)d.", min=context["min_length"]),
        "too_long": lambda: _("Give at most %(max)d.", max=context["max_length"]),
        "greater_than_equal": lambda: _("Must be at least %(min)s.", min=context["ge"]),
        "less_than_equal": lambda: _("Must be at most %(max)s.", max=context["le"]),
        "int_parsing": lambda: _("Must be a whole number."),
        "int_type": lambda: _("Must be a whole number."),
        "enum": lambda: _("Must be one of: %(choices)s.", choices=context["expected"]),
        "string_pattern_mismatch": lambda: _pattern_message(field or ""),
    }
    if kind == "string_too_short":
        return _("Required.") if context.get("min_length", 1) <= 1 else _(
            "At least %(min)d characters.", min=context["min_length"])
    factory = messages.get(kind)
    return factory() if factory else None


def describe(error):
    """Return (field path or None, translated message) for a SiteFileError."""
    field = error.field
    if error.kind not in (None, "value_error", "assertion_error"):
        message = _typed_message(error.kind, error.context, field)
        if message:
            return field, message
    for pattern, rule_field, factory in _value_rules():
        found = re.search(pattern, error.problem)
        if found:
            return _where(field, rule_field, error.problem), factory(found)
    return _where(field, None, error.problem), _("Not accepted: %(problem)s",
                                                  problem=error.problem)


def _where(field, rule_field, problem):
    leading = _leading_field(problem)
    # A catalog item's own check (catalog.analytical[4]) names the item's field it is about.
    if field and leading and field.endswith("]"):
        return f"{field}.{leading}"
    return field or rule_field or leading


def _leading_field(problem):
    found = _LEADING_FIELD.match(problem)
    return found[1] if found else None


def form_field(path, names):
    """Return the form field a dotted site-file path is shown at, or None.

    Form fields are named as their path joined with "_" (privacy_policy_version), a tracker's id
    as the tracker (trackers.ga4 is ga4), a list's items at the list (origins[1] is origins), a
    catalog item's field as itself (catalog.analytical[4].name is name).
    """
    if not path:
        return None
    bare = re.sub(r"\[\d+\]", "", path)
    candidates = [bare.replace(".", "_")]
    if bare.startswith("trackers."):
        candidates.append(bare.removeprefix("trackers."))
    if bare.startswith("catalog."):
        candidates.append(bare.rsplit(".", 1)[-1])  # the catalog item form: name, lifetime...
    return next((candidate for candidate in candidates if candidate in names), None)
