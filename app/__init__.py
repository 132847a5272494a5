"""Stroom: BPMN processes for early warning of rent arrears and eviction prevention."""
