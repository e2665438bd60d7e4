"""Subscription types, `me`, and the enrol / cancel mutations."""
