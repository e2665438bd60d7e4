"""Domain rules that both the GraphQL use cases (`resolvers/`) and the background work (`jobs/`)
apply, one package per domain, so neither reaches the other's layer to share them.

Pure rules (a state machine, an expiry rule) do no I/O; the services that apply them
(`checkout.settlement`) work through `datasources.backends.Backends`, never through GraphQL.
"""
