"""Compare two stored scans of a site: what each finding kind gained, lost or changed (pure)."""
from dataclasses import dataclass, field

from app.scanner.compare import CODES


@dataclass
class KindDiff:
    """One finding code's changes between an older and a newer scan."""

    code: str
    new: list = field(default_factory=list)
    gone: list = field(default_factory=list)
    #: (older finding, newer finding, [what changed: "category", "lifetime"]).
    changed: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.new or self.gone or self.changed)


def diff_scans(older, newer):
    """Return a KindDiff per finding code (in CODES order) between two scan documents."""
    before, after = _by_key(older), _by_key(newer)
    result = []
    for code in CODES:
        kind = KindDiff(code)
        for key in sorted(after.keys() - before.keys()):
            if key[0] == code:
                kind.new.append(after[key])
        for key in sorted(before.keys() - after.keys()):
            if key[0] == code:
                kind.gone.append(before[key])
        for key in sorted(before.keys() & after.keys()):
            if key[0] == code:
                what = _changes(before[key], after[key])
                if what:
                    kind.changed.append((before[key], after[key], what))
        result.append(kind)
    return result


def _by_key(document):
    return {(finding["code"], finding["storage"], finding["name"]): finding
            for finding in document["findings"]}


def _changes(old, new):
    what = []
    if old.get("category") != new.get("category"):
        what.append("category")
    if _lifetime(old) != _lifetime(new):
        what.append("lifetime")
    return what


def _lifetime(finding):
    suggestion = finding.get("suggestion") or {}
    return (suggestion.get("item") or {}).get("lifetime")
