"""The checkpoint log: checkpoints of all sites link up, so deleting one, or a site, shows."""
import pytest
from sqlalchemy import delete, select

from app.extensions import db
from app.ledger.checkpoints import LOG_GENESIS
from app.ledger.repository import LedgerRepository
from app.models import Checkpoint, ConsentRecord, LedgerHead, utc_now
from app.signing import signing_key

SITES = ("familami", "sens")


@pytest.fixture
def two_sites_signed(app, samples):
    """Three records and a checkpoint after each, alternating between two sample sites."""
    ledger, key = LedgerRepository(db.session), signing_key(app)
    for number, site_id in enumerate(SITES * 3):
        content = {"event_id": f"evt-{number}", "consent_id": f"cns-{number}",
                   "subject_id": "sbj-1", "event": "grant", "ui_action": "accept_all",
                   "choices": {"mandatory": True}, "server_time": utc_now().isoformat()}
        ledger.append(site_id, content["event_id"], content)
        ledger.add_checkpoint(site_id, key)
        db.session.commit()
    return ledger


def _verify(runner, *args):
    db.session.commit()
    return runner.invoke(args=["ledger", "verify", *args])


def _checkpoints():
    return db.session.scalars(select(Checkpoint).order_by(Checkpoint.id)).all()


def test_checkpoints_of_all_sites_form_one_linked_log(runner, two_sites_signed):
    log = _checkpoints()
    assert [c.site_id for c in log] == list(SITES * 3)
    assert log[0].prev_digest == LOG_GENESIS
    assert [c.prev_digest for c in log[1:]] == [c.digest for c in log[:-1]]
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    # Every site has a chain from its creation: those without records verify as empty.
    assert result.output.splitlines() == ["checkpoint log: 6 signed checkpoints, linked; latest "
                                          f"{log[-1].digest}",
                                          "familami: 3 records, chain intact",
                                          "flomni: 0 records, chain intact",
                                          "loginom: 0 records, chain intact",
                                          "oomnis: 0 records, chain intact",
                                          "sens: 3 records, chain intact"]


def _drop_middle_checkpoint():
    db.session.delete(_checkpoints()[2])


def _drop_site(site_id):
    def drop():
        for model in (ConsentRecord, LedgerHead, Checkpoint):
            db.session.execute(delete(model).where(model.site_id == site_id))
    return drop


def _drop_records_keep_checkpoints():
    for model in (ConsentRecord, LedgerHead):
        db.session.execute(delete(model).where(model.site_id == "sens"))


def _relink_after_a_drop():
    log = _checkpoints()
    log[3].prev_digest = log[1].digest
    db.session.delete(log[2])


@pytest.mark.parametrize(("tamper", "message"), [
    (_drop_middle_checkpoint,
     "checkpoint log: BROKEN: checkpoint of sens at seq 2: does not follow the checkpoint signed "
     "before it; a checkpoint before it was removed"),
    (_drop_site("familami"),
     "checkpoint log: BROKEN: checkpoint of sens at seq 1: does not follow the checkpoint signed "
     "before it; checkpoints at the start of the log were removed"),
    (_drop_site("sens"), "checkpoint log: BROKEN: checkpoint of familami at seq 2: does not "
     "follow the checkpoint signed before it"),
    (_drop_records_keep_checkpoints, "sens: BROKEN after 0 good records: a signed checkpoint "
     "covers seq 3 but the chain ends at seq 0: records were removed from the end"),
    (_relink_after_a_drop, "checkpoint log: BROKEN: checkpoint of sens at seq 2: does not match "
     "its digest (altered)"),
])
def test_removing_checkpoints_or_a_whole_site_is_reported(runner, two_sites_signed, tamper,
                                                          message):
    tamper()
    result = _verify(runner)
    assert result.exit_code == 1, result.output
    assert message in result.output


def test_a_checkpoint_re_signed_without_the_key_fails_its_signature(app, runner, two_sites_signed):
    from app.ledger.checkpoints import checkpoint_payload, payload_digest

    log = _checkpoints()
    forged = log[3]
    forged.prev_digest = log[1].digest
    forged.digest = payload_digest(checkpoint_payload(forged.site_id, forged.seq, forged.head_hash,
                                                      forged.created_at, forged.kind,
                                                      forged.prev_digest))
    db.session.delete(log[2])
    result = _verify(runner)
    assert result.exit_code == 1
    assert "checkpoint of sens at seq 2: has no valid signature (forged or altered)" in result.output


def test_verifying_one_site_still_checks_the_log_but_prints_it_only_when_broken(
        runner, two_sites_signed):
    assert _verify(runner, "--site", "sens").output.strip() == "sens: 3 records, chain intact"
    _drop_middle_checkpoint()
    result = _verify(runner, "--site", "sens")
    assert result.exit_code == 1
    assert result.output.startswith("checkpoint log: BROKEN")


def test_a_log_cut_back_at_its_end_is_caught_by_an_anchor_kept_elsewhere(runner, two_sites_signed):
    kept = runner.invoke(args=["ledger", "checkpoint", "--site", "sens"]).output
    anchor = kept.split("log digest ")[1].strip()
    assert _verify(runner, "--anchor", anchor).exit_code == 0
    db.session.delete(_checkpoints()[-1])  # the newest checkpoint: no link is left broken
    assert _verify(runner).exit_code == 0, "without an anchor the cut is invisible"
    result = _verify(runner, "--anchor", anchor.upper())
    assert result.exit_code == 1
    assert (f"checkpoint log: BROKEN: the checkpoint {anchor} kept as an anchor is not in the log"
            in result.output)


@pytest.mark.parametrize("anchor", ["abc", "g" * 64, ""])
def test_an_anchor_that_is_no_digest_is_a_clear_error(runner, two_sites_signed, anchor):
    result = _verify(runner, "--anchor", anchor)
    assert result.exit_code == 2
    assert "--anchor" in result.output and "not a checkpoint digest" in result.output
