"""Một Cửa Field tablet app (Kivy). Uses the shared ``sync`` library, never ``server``."""
