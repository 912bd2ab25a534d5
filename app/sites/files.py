"""Read site files (YAML or TOML) into validated specs, with errors that name file and field."""
import tomllib
from pathlib import Path

import yaml
from pydantic import ValidationError

from app.sites.schema import MAX_DOCUMENT_BYTES, SiteSpec

SITE_FILE_SUFFIXES = (".yaml", ".yml", ".toml")
#: A site file is a page of settings and a catalog; the legal texts come from files of their own.
MAX_SITE_FILE_BYTES = 256 * 1024
#: YAML aliases are handy for repeated purposes; thousands of them only serve to blow a file up.
MAX_YAML_ALIASES = 100
#: Values a site file may hold once its aliases are expanded (a few aliases nested in each
#: other multiply: the "billion laughs").
MAX_EXPANDED_VALUES = 50_000


class BoundedLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a document with more than MAX_YAML_ALIASES aliases."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen = getattr(self, "aliases_seen", 0) + 1
            if self.aliases_seen > MAX_YAML_ALIASES:
                raise TooManyAliases(self.peek_event().start_mark)
        return super().compose_node(parent, index)


class TooManyAliases(Exception):
    """A YAML document uses more aliases than a site file needs."""

    def __init__(self, mark):
        super().__init__(f"line {mark.line + 1}")
        self.line = mark.line + 1
#: Site file keys whose text may come from a file beside the site file.
DOCUMENT_KEYS = ("privacy_policy", "consent_document")


class SiteFileError(Exception):
    """A site file cannot be used; str() is one line naming the file, the field and the problem."""

    def __init__(self, path, field, problem, kind=None, context=None):
        self.path, self.field, self.problem = str(path), field, problem
        #: pydantic's error type and context (e.g. "string_too_long", {"max_length": 200}), so a
        #: console can say the same in its own language.
        self.kind, self.context = kind, context or {}
        where = f"{self.path}: {field}" if field else self.path
        super().__init__(f"{where}: {problem}")


def site_files(path):
    """Return the site files at path: the file itself, or every site file in a folder."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in SITE_FILE_SUFFIXES)
    return [path]


def load_site_file(path):
    """Parse and validate one site file; raise SiteFileError on the first problem."""
    path = Path(path)
    return parse_site_document(with_document_texts(read_site_document(path), path), path)


def read_site_document(path):
    """Read a YAML or TOML site file into plain data."""
    if path.suffix not in SITE_FILE_SUFFIXES:
        raise SiteFileError(path, None, "a site file must end in .yaml, .yml or .toml")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_SITE_FILE_BYTES + 1)
    except OSError as error:
        raise SiteFileError(path, None, error.strerror or str(error)) from None
    return _parse_bytes(path, raw)


def read_site_upload(filename, raw):
    """Read an uploaded site file's bytes into plain data; the suffix says YAML or TOML."""
    path = Path(Path(filename or "upload").name)
    if path.suffix not in SITE_FILE_SUFFIXES:
        raise SiteFileError(path, None, "a site file must end in .yaml, .yml or .toml")
    document = _parse_bytes(path, raw)
    if not isinstance(document, dict):
        raise SiteFileError(path, None, "the file must hold a mapping of site fields")
    for key in DOCUMENT_KEYS:
        if isinstance(document.get(key), dict) and "file" in document[key]:
            raise SiteFileError(path, f"{key}.file", "an uploaded site file cannot name files; "
                                "upload the text on the site's settings page")
    return document


def with_document_texts(document, path):
    """Return the document with each legal text named by `file:` read into `text:`.

    Paths are relative to the site file; each file must be UTF-8 text of at most
    MAX_DOCUMENT_BYTES. `file:` stays, so the site's history says where the text came from; a
    `text:` beside it (as `sites show` prints a stored site) is read again from the file.
    """
    if not isinstance(document, dict):
        return document
    result = dict(document)
    for key in DOCUMENT_KEYS:
        node = result.get(key)
        if not isinstance(node, dict) or "file" not in node:
            continue
        files = node["file"]
        if isinstance(files, dict):
            text = {language: _read_text(path, f"{key}.file.{language}", name)
                    for language, name in files.items()}
        else:
            text = _read_text(path, f"{key}.file", files)
        result[key] = {**node, "text": text}
    return result


def _read_text(site_path, field, name):
    if not isinstance(name, str) or not name.strip():
        raise SiteFileError(site_path, field, "must be a path relative to the site file")
    target = Path(site_path).parent / name
    try:
        with open(target, "rb") as handle:
            raw = handle.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise SiteFileError(site_path, field, f"{name} not found") from None
    except OSError as error:
        raise SiteFileError(site_path, field, f"{name}: {error.strerror or error}") from None
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise SiteFileError(site_path, field, f"{name} is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SiteFileError(site_path, field, f"{name} is not UTF-8 text") from None
    if not text.strip():
        raise SiteFileError(site_path, field, f"{name} is empty")
    return text


def _parse_bytes(path, raw):
    if len(raw) > MAX_SITE_FILE_BYTES:
        raise SiteFileError(path, None, f"the file is larger than {MAX_SITE_FILE_BYTES} bytes; "
                            "put long legal texts in files of their own (privacy_policy.file)")
    try:
        if path.suffix == ".toml":
            return tomllib.loads(raw.decode("utf-8"))
        document = yaml.load(raw, Loader=BoundedLoader)  # noqa: S506  (a SafeLoader subclass)
    except TooManyAliases as error:
        raise SiteFileError(path, None, f"more than {MAX_YAML_ALIASES} YAML aliases (*name), "
                            f"the last at line {error.line}; write the values out") from None
    except UnicodeDecodeError:
        raise SiteFileError(path, None, "the file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise SiteFileError(path, None, f"invalid TOML: {error}") from None
    except yaml.YAMLError as error:
        raise SiteFileError(path, None, f"invalid YAML: {_yaml_problem(error)}") from None
    if not _within_expanded_bound(document):
        raise SiteFileError(path, None, f"the file expands to more than {MAX_EXPANDED_VALUES} "
                            "values once its YAML aliases are resolved")
    return document


def _within_expanded_bound(document):
    """Tell whether a parsed document holds at most MAX_EXPANDED_VALUES values, counting a
    shared (aliased) value every time it is used, as validation and storage will."""
    pending, seen = [document], 0
    while pending:
        value = pending.pop()
        seen += 1
        if seen > MAX_EXPANDED_VALUES:
            return False
        if isinstance(value, dict):
            pending.extend(value.values())
            pending.extend(value.keys())
        elif isinstance(value, list):
            pending.extend(value)
    return True


def parse_site_document(document, path):
    """Validate plain data as a site spec; raise SiteFileError naming the first bad field."""
    if not isinstance(document, dict):
        raise SiteFileError(path, None, "the file must hold a mapping of site fields")
    try:
        return SiteSpec.model_validate(document)
    except ValidationError as error:
        first = _most_telling(error.errors())
        raise SiteFileError(path, _field_path(first["loc"]) or None, _problem(first),
                            first["type"], first.get("ctx")) from None


def _most_telling(errors):
    # For "text or mapping" fields pydantic reports a type mismatch for the branch not taken.
    telling = [e for e in errors if e["type"] not in ("string_type", "dict_type")]
    return (telling or errors)[0]


def _field_path(location):
    parts = []
    for part in location:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif not _is_branch_tag(part):
            parts.append(f".{part}" if parts else part)
    return "".join(parts)


def _is_branch_tag(part):
    # Pydantic names union branches and key checks ("constrained-str", "dict[...]", "[key]").
    return part in ("str", "int", "[key]") or part.startswith(
        ("constrained-", "function-", "dict[", "list[")
    )


def _problem(error):
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        return "is required"
    if error["type"] == "extra_forbidden":
        return "is not a known field"
    return message


def _yaml_problem(error):
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return f"line {mark.line + 1}: {problem}" if mark else problem
