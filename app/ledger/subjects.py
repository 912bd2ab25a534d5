"""Reports bound to their subject, and consent ids to the subject that made them (no Flask).

A subject's first report carries a random secret only that visitor's browser keeps; the record
stores its SHA-256, and subject_keys keeps it for the subject. Every later report for the
subject must present the same secret, so knowing a subject id (from a receipt, say) is not
enough to report for it. A consent id, once recorded, belongs to its subject: another subject
cannot file events under it. Both are checked inside the append, under the head's lock, so two
first reports racing for one subject cannot both win.
"""
from functools import lru_cache

#: In one statement: the secret hashes of a batch's subjects (marked 0), and the subjects of
#: its consent ids (marked 1). Consent ids are looked up by themselves, so the planner takes
#: their index rather than the site's whole chain; the site is matched in Python (consent ids
#: are random, so other sites rarely share one).
BINDING_SQL = ("SELECT 0, subject_id, secret_hash, site_id FROM subject_keys"
               " WHERE site_id = {p} AND subject_id IN ({subjects})"
               " UNION ALL SELECT 1, consent_id, subject_id, site_id FROM consent_records"
               " WHERE consent_id IN ({consents})")
KEEP_SUBJECT_SQL = ("INSERT INTO subject_keys (site_id, subject_id, secret_hash)"
                    " VALUES ({p}, {p}, {p}) ON CONFLICT (site_id, subject_id) DO NOTHING")


class SubjectNotProven(Exception):
    """A report for a known subject did not present the secret its first report carried."""


class ConsentIdTaken(Exception):
    """A consent id already names a consent of another subject."""


def bound(content):
    """Tell whether a record's content takes part in subject binding (reports do)."""
    return "subject_secret_hash" in content


def binding_read(site_id, contents, placeholder):
    """Return the (sql, params) read that gives a batch's subject keys and consent owners, or
    None when no content takes part."""
    subjects = sorted({content["subject_id"] for content in contents if bound(content)})
    if not subjects:
        return None
    consents = sorted({content["consent_id"] for content in contents if bound(content)})
    return _binding_sql(placeholder, len(subjects), len(consents)), (site_id, *subjects, *consents)


@lru_cache(maxsize=256)
def _binding_sql(placeholder, subjects, consents):
    return BINDING_SQL.format(p=placeholder, subjects=", ".join([placeholder] * subjects),
                              consents=", ".join([placeholder] * consents))


class SubjectBinding:
    """Check a site's reports of one batch against its subjects' keys and consents' owners."""

    def __init__(self, site_id, rows):
        self.site_id = site_id
        self.keys, self.owners = {}, {}
        for kind, key, value, site in rows:
            if site == site_id:
                (self.owners if kind else self.keys)[key] = value
        #: (site_id, subject_id, secret hash) of subjects this batch sees first.
        self.new_keys = []

    def refusal(self, content):
        """Return the exception that refuses the content, or None (then it is noted as stored)."""
        if not bound(content):
            return None
        subject_id, consent_id = content["subject_id"], content["consent_id"]
        owner = self.owners.get(consent_id)
        if owner is not None and owner != subject_id:
            return ConsentIdTaken(consent_id)
        secret_hash = content["subject_secret_hash"]
        if subject_id in self.keys:
            if self.keys[subject_id] is None or self.keys[subject_id] != secret_hash:
                return SubjectNotProven(subject_id)
        else:
            self.keys[subject_id] = secret_hash
            self.new_keys.append((self.site_id, subject_id, secret_hash))
        self.owners[consent_id] = subject_id
        return None
