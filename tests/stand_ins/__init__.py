"""Local stand-ins for external services that cannot be reached from the test environment."""
