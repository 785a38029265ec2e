"""Benchmarks (QUALITY.md): scripts run by hand, never by the test suite."""
