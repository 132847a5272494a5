"""Process-specific read-side code (statistics, overviews) that belongs to one covenant."""
