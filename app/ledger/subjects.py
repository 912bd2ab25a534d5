"""Reports bound to their subject, and consent ids to the subject that made them (no Flask).

A subject's first report carries a random secret only that visitor's browser keeps; the record
stores its SHA-256, and subject_keys keeps it for the subject. Every later report for the
subject must present the same secret, so knowing a subject id (from a receipt, say) is not
enough to report for it. A consent id, once recorded, belongs to its subject: another subject
cannot file events under it. Both are checked inside the append, under the head's lock, so two
first reports racing for one subject cannot both win.
"""

#: The secret hashes of a batch's subjects, and the subjects of its consent ids.
SUBJECTS_SQL = ("SELECT subject_id, secret_hash FROM subject_keys"
                " WHERE site_id = {p} AND subject_id IN ({ids})")
CONSENTS_SQL = ("SELECT DISTINCT consent_id, subject_id FROM consent_records"
                " WHERE site_id = {p} AND consent_id IN ({ids})")
KEEP_SUBJECT_SQL = ("INSERT INTO subject_keys (site_id, subject_id, secret_hash)"
                    " VALUES ({p}, {p}, {p}) ON CONFLICT (site_id, subject_id) DO NOTHING")


class SubjectNotProven(Exception):
    """A report for a known subject did not present the secret its first report carried."""


class ConsentIdTaken(Exception):
    """A consent id already names a consent of another subject."""


def bound(content):
    """Tell whether a record's content takes part in subject binding (reports do)."""
    return "subject_secret_hash" in content


def binding_reads(site_id, contents, placeholder):
    """Return the (sql, params) reads that give a batch's subject keys and consent owners."""
    subjects = sorted({content["subject_id"] for content in contents if bound(content)})
    consents = sorted({content["consent_id"] for content in contents if bound(content)})
    reads = []
    for sql, ids in ((SUBJECTS_SQL, subjects), (CONSENTS_SQL, consents)):
        marks = ", ".join([placeholder] * len(ids))
        reads.append((sql.format(p=placeholder, ids=marks), (site_id, *ids)) if ids else None)
    return reads


class SubjectBinding:
    """Check a site's reports of one batch against its subjects' keys and consents' owners."""

    def __init__(self, site_id, key_rows, owner_rows):
        self.site_id = site_id
        self.keys, self.owners = dict(key_rows), dict(owner_rows)
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
