"""Recommendations: course similarity by co-subscription and by content, their blend for a
user, and the offline evaluation that picks the blend."""
