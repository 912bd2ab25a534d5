"""The chain's checks on rows in memory: what an insider's edit looks like to walk_chain."""
import json
import subprocess
import sys

import pytest

from app.ledger.proof import GENESIS_HASH, chain_hash
from app.ledger.record_checks import ChainFault, walk_chain
from tests.conftest import PROJECT_ROOT


def _chain(count=4, site="shop"):
    rows, prev = [], GENESIS_HASH
    for seq in range(1, count + 1):
        content = {"site": site, "seq": seq, "record_id": f"r-{seq}", "event_id": f"e-{seq}",
                   "consent_id": f"c-{seq}", "subject_id": "s-1", "event": "grant",
                   "server_time": f"2026-12-01T12:00:0{seq}+00:00", "choices": {"a": True}}
        record_hash = chain_hash(prev, content)
        rows.append([seq, f"r-{seq}", f"e-{seq}", f"c-{seq}", "s-1", "grant",
                     f"2026-12-01 12:00:0{seq}.000000", json.dumps(content), prev, record_hash])
        prev = record_hash
    return rows


def _walk(rows):
    return list(walk_chain(rows, "shop"))


def _rehash_from(rows, index):
    """Recompute every hash from rows[index] on, as an insider rewriting history would."""
    prev = rows[index - 1][9] if index else GENESIS_HASH
    for row in rows[index:]:
        row[8], row[9] = prev, chain_hash(prev, json.loads(row[7]))
        prev = row[9]


def test_an_untouched_chain_walks_through():
    assert [row[0] for row, _content in _walk(_chain())] == [1, 2, 3, 4]


@pytest.mark.parametrize(("attack", "message"), [
    (lambda rows: rows.pop(1), "expected seq 2; records are missing"),
    (lambda rows: rows.insert(2, list(rows[0])), "expected seq 3; records are out of order"),
    (lambda rows: rows[2].__setitem__(7, rows[2][7].replace('"a": true', '"a": false')),
     "content does not match its hash"),
    (lambda rows: rows[1].__setitem__(5, "withdraw"), "column event differs"),
    (lambda rows: rows[1].__setitem__(6, "2000-01-01 00:00:00.000000"),
     "column server_time differs"),
    (lambda rows: rows[3].__setitem__(8, "f" * 64), "does not link to the previous record"),
])
def test_an_insiders_edit_is_caught_and_named(attack, message):
    rows = _chain()
    attack(rows)
    with pytest.raises(ChainFault, match=message):
        _walk(rows)


def test_a_rewrite_with_recomputed_hashes_still_differs_from_the_signed_head():
    rows = _chain()
    signed_head = rows[-1][9]  # what a checkpoint signed
    content = json.loads(rows[1][7])
    content["choices"] = {"a": False}
    rows[1][7] = json.dumps(content)
    _rehash_from(rows, 1)
    _walk(rows)  # the rewritten chain links up on its own...
    assert rows[-1][9] != signed_head  # ...but not to the head the checkpoint signed


def test_the_domain_loads_no_web_layer():
    code = ("import sys, app.ledger.service, app.ledger.verify, app.ledger.export, "
            "app.sites.schema, app.sites.repository, app.sites.catalog; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'flask_sqlalchemy', 'flask_babel', 'werkzeug') or "
            "m.startswith(('app.banner', 'app.console', 'app.api'))))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    assert loaded == "[]"
