"""Checkout types and the startCheckout / confirmPayment mutations."""
