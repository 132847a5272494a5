"""Process packages, one folder per municipality: what its covenant adds to Stroom beyond the
diagram, the catalogue and the forms (see app/plugins.py and README.md here)."""
