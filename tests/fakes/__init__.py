"""Local fake servers that speak the real protocols of external systems, for tests."""
