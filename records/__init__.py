"""Plain records the layers pass to each other, one module per domain.

They carry no I/O and no GraphQL: datasources build them from rows, resolvers and jobs decide with
them, schema types are built from them.
"""
