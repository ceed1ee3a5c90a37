"""Writes to check-ins, one module per operation (as Zulip's ``zerver/actions/``).

- ``outcome``: what a write of a known id means (replay, edit, conflict, gone, someone
  else's), decided once for the single PUT and the batch
- ``save``: ``entry_save``, one check-in created, replayed or edited
- ``delete``: ``entry_delete``
- ``sync``: ``entries_sync``, a phone's outbox in one transaction

Placement under visits is ``diary.placement``; the insert statements ``diary.bulk_insert``.
"""
