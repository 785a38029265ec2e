"""The Kivy tablet app of Một Cửa Field.

Layers, in import order (never the reverse):

- ``viewmodels/`` — screen logic in plain Python (no Kivy), driven by the tests without
  a window; they talk to ``mobile.tablet.Tablet`` through an ``AppContext``;
- ``context``, ``i18n``, ``platform``, ``qr``, ``sync_runner`` — services the view models
  and screens share (no Kivy at import time);
- ``screens/`` and ``main`` — Kivy widgets: one ``.kv`` file beside each screen module.
"""
