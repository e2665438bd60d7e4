"""Subscription rules shared by checkout and the admin lifecycle jobs."""
