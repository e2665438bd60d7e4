"""Recommendation types: what `me.recommendations` lists."""
