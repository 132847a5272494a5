"""Enrichment adapters for service-task handlers: BRP, benefits, debt assistance, creditors.

One interface per external system, an embedded default that works offline on FICTIONAL
test people, and (for the BRP) a real HTTP client; `factory` picks one by settings.
See README.md in this folder.
"""
