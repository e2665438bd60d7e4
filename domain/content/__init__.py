"""Rules for course media: what an upload may be, and the renditions made of images."""
