"""How the schema's operations are executed: planned once per document (`plans.py`), run by
`executor.PlannedExecutor`, with graphql-core's executor as the reference and the fallback."""
