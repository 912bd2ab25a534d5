"""The banner's consent report: its wire shape and the checks the intake runs, in order."""
import json
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

EVENTS = ("grant", "deny", "update", "withdraw", "expire", "renew")
#: dismiss: closed with × or Esc before any choice (a refusal); placeholder: one category
#: granted from a blocked-content placeholder.
UI_ACTIONS = ("accept_all", "reject_all", "save_choices", "withdraw", "api", "dismiss",
              "placeholder")
MAX_REPORT_BYTES = 8 * 1024

#: C0 controls and DEL: PostgreSQL's jsonb refuses NUL, and no field of a report needs any.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_MESSAGE = "must not contain control characters"


def _no_control_characters(value):
    if CONTROL_CHARACTERS.search(value):
        raise ValueError(CONTROL_MESSAGE)
    return value


Printable = AfterValidator(_no_control_characters)
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{8,64}$")]
Short = Annotated[str, StringConstraints(min_length=1, max_length=64), Printable]


class IntakeError(Exception):
    """A refused report: a stable code, a message and the field at fault (the web layer maps
    codes to HTTP statuses); retry_after says when a rate-limited client may try again."""

    def __init__(self, code, message, field=None, retry_after=None):
        super().__init__(message)
        self.code, self.message, self.field, self.retry_after = code, message, field, retry_after

    def body(self):
        """Return the JSON error body."""
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


def json_object(raw):
    """Return the JSON object a beacon's raw body holds; raise IntakeError naming the body."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise IntakeError("invalid_json", "the body is not JSON", "body") from None
    if not isinstance(body, dict):
        raise IntakeError("invalid_json", "the body must be a JSON object", "body")
    return body


class ConsentReport(BaseModel):
    """What the banner sends after every choice (see ConsentReport in consent-gate.js)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Id
    consent_id: Id
    subject_id: Id
    #: A random secret only the subject's browser keeps; the record stores its SHA-256, and
    #: every later report for the subject must present it.
    subject_secret: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{22,128}$")] = Field(
        description="A random secret only the subject's browser keeps; the record stores its "
                    "SHA-256. A later report for the subject without it is refused (403 "
                    "subject_not_proven).")
    site: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{2,40}$")]
    event: Short
    ui_action: Short
    choices: dict[Annotated[str, StringConstraints(max_length=32), Printable], bool] = Field(
        max_length=8)
    catalog_version: int = Field(ge=1, le=1_000_000)
    policy_version: Annotated[str, StringConstraints(min_length=1, max_length=60), Printable]
    consent_document_version: Annotated[str, StringConstraints(max_length=60), Printable] | None = (
        None)
    language: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    texts_digest: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    banner_build: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8,64}$")]
    gpc: bool = False
    page: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://"), Printable]
    client_time: Annotated[str, StringConstraints(max_length=40), Printable]
    expires: Annotated[str, StringConstraints(max_length=40), Printable]


def parse_report(raw):
    """Parse report bytes; raise IntakeError 400 naming the first bad field."""
    try:
        return ConsentReport.model_validate_json(raw)
    except ValidationError as error:
        first = error.errors()[0]
        # A bad key of choices is named by its field, not by the key (which may not print).
        location = first["loc"][:1] if "[key]" in first["loc"] else first["loc"]
        field = ".".join(str(part) for part in location) or None
        if first["type"] == "json_invalid":
            raise IntakeError("invalid_json", "the body is not valid JSON") from None
        if first["type"] == "model_type":
            raise IntakeError("invalid_json", "the body must be a JSON object") from None
        message = "is required" if first["type"] == "missing" else first["msg"]
        if first["type"] == "value_error" and CONTROL_MESSAGE in first["msg"]:
            message = CONTROL_MESSAGE
        if first["type"] == "extra_forbidden":
            message = "is not a known field"
        raise IntakeError("invalid_field", f"{field}: {message}", field) from None


def check_choices(report, categories):
    """Refuse unknown categories, missing ones, and a refused mandatory category."""
    unknown = sorted(set(report.choices) - set(categories))
    if unknown:
        raise IntakeError("unknown_category", f"unknown category {unknown[0]!r}", "choices")
    missing = [name for name in categories if name not in report.choices]
    if missing:
        raise IntakeError("missing_category", f"no choice for {missing[0]!r}", "choices")
    if not report.choices.get("mandatory"):
        raise IntakeError("mandatory_refused", "mandatory must be granted", "choices")


def check_actions(report):
    """Refuse an event or UI action outside the fixed sets."""
    if report.event not in EVENTS:
        raise IntakeError("unknown_event", f"event must be one of {', '.join(EVENTS)}",
                          "event")
    if report.ui_action not in UI_ACTIONS:
        raise IntakeError("unknown_ui_action",
                          f"ui_action must be one of {', '.join(UI_ACTIONS)}", "ui_action")
