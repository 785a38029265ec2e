"""Shared offline-first sync library and domain rules used by both server and tablet."""
