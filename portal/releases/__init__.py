"""Releases: review, approve, reject, publish, retract, embargoes, diff, ledger, corrections."""
