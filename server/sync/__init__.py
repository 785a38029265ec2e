"""The server side of the sync protocol (``sync/PROTOCOL.md``).

- :mod:`store`: :class:`~server.sync.store.ServerFieldStore`, the shared
  ``sync.storage.FieldStore`` on the SQLAlchemy models;
- :mod:`push` and :mod:`pull`: the two halves of a sync;
- :mod:`blobs`: resumable, content-addressed photo uploads;
- :mod:`conflicts`: listing and resolving conflict records (API and admin web);
- :mod:`versions`: the protocol/app/schema headers; :mod:`clock`: the server's HLC.

Like ``server.services``, nothing here imports Flask: functions take a session and
plain values and raise ``server.services.errors`` exceptions.
"""
