"""Use cases: orchestrate domain rules, the store and events. No HTTP here."""
