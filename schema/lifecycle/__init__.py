"""Lifecycle job types, the admin job mutations, and the job query."""
