"""Running processes on a virtual clock: `stroom simulate SCENARIO` and scenario tests."""
