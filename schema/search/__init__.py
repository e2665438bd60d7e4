"""Search types and the search / autocomplete queries."""
