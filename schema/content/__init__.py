"""Course content: lessons, exercises, progress."""
