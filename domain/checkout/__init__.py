"""Checkout rules: the order state machine, what a payment or webhook means for an order, and
settling an event on the buyer's shard exactly once."""
