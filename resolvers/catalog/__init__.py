"""Catalog use cases: reading courses (`queries`), the admin's changes (`admin`) and the field
rules both creation and the lifecycle jobs check (`validation`)."""
