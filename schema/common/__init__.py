"""What every domain's types share: the resolver info type, page info, typed errors."""
