"""Catalog types, inputs, and the catalog fields of the Query and Mutation roots."""
