"""Demo data for `stroom demo`: fictional organisations, people and cases."""
