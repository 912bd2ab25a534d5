"""The consent ledger: append-only, hash-chained consent records with signed receipts."""
