"""The executor: graphql-core's, running a query from its plan (`plans.py`) instead of
collecting and dispatching every field of every object again.

It is a subclass of strawberry's graphql-core executor, and does what graphql-core does in
the same order: the same resolvers, called with the same info and arguments; awaitables
gathered at the same points (so DataLoader batches form the same way); errors located and
nulled through the same `handle_field_error`, so data, errors and their order come out the
same. It saves the per-field interpretation: `__typename` and attribute fields cost a read,
a leaf that is already its output costs nothing more, and no info or path is built for an
attribute field holding a leaf (unless it errs).

Operations a plan does not cover (mutations, subscriptions, introspection, `@defer`, any
other directive) run through graphql-core, counted by reason in
`coursegate_graphql_reference_executions_total`. `tests/test_planned_execution.py` holds the
two to the same answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, cast

from graphql import ExecutionResult, GraphQLError, GraphQLOutputType, Undefined
from graphql.execution.executor import collect_iterator_awaitables, invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, gather_with_cancel, is_iterable
from graphql.type.scalars import GRAPHQL_MAX_INT as MAX_INT
from graphql.type.scalars import GRAPHQL_MIN_INT as MIN_INT
from prometheus_client import Counter
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution.plan_cache import PlanCache
from schema.execution.plans import (
    Completion,
    FieldStep,
    Leaf,
    ListOf,
    NonNull,
    Object,
    ObjectPlan,
    PlanInputs,
    StepKind,
    Unsupported,
)

REFERENCE_EXECUTIONS = Counter(
    "coursegate_graphql_reference_executions",
    "Operations run by graphql-core's executor instead of a plan, by why",
    ["reason"],
)
PLANS = PlanCache(maxsize=1024)
_UNHANDLED = object()
# Values of these exact types are never awaitable nor errors: no need to ask.
NEVER_AWAITABLE = frozenset({int, float, str, bool, datetime, date})


def _leaf_output(
    leaf: Leaf, nullable: bool, value: Any, is_awaitable: Callable[[Any], bool]
) -> Any:
    """A leaf field's output for its value, as graphql-core's complete_value gives it; or
    _UNHANDLED where that would raise (a null for a non-null field, a value that does not
    coerce) or await, for the full completion to deal with."""
    value_type = type(value)
    if value_type is leaf.passthrough:
        return value
    if value is None:
        return None if nullable else _UNHANDLED
    if value_type is int and leaf.is_int and MIN_INT <= value <= MAX_INT:
        return value
    if value_type not in NEVER_AWAITABLE and (isinstance(value, Exception) or is_awaitable(value)):
        return _UNHANDLED
    try:
        coerced = leaf.output_type.coerce_output_value(value)
    except Exception:  # raised again by the full completion, at its field
        return _UNHANDLED
    return _UNHANDLED if coerced is None or coerced is Undefined else coerced


class PlannedExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        plan = self._plan()
        if isinstance(plan, Unsupported):
            REFERENCE_EXECUTIONS.labels(plan.reason).inc()
            return super().execute_operation(serially)
        try:
            data = self._execute_fields(plan, self.root_value, None)
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.finish(self.build_response(None))
        if self.is_awaitable(data):
            return self._await_root(cast("Awaitable[dict[str, Any]]", data))
        return self.finish(self.build_response(cast("dict[str, Any]", data)))

    def _plan(self) -> ObjectPlan | Unsupported:
        if self.abort_signal is not None:
            return Unsupported("abort signal")
        if not self.error_propagation:
            return Unsupported("error propagation disabled")
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return Unsupported("middleware")
        return PLANS.plan(
            PlanInputs(
                self.schema,
                self.fragments,
                self.variable_values,
                self.operation,
                self.hide_suggestions,
            )
        )

    async def _await_root(self, data: Awaitable[dict[str, Any]]) -> ExecutionResult:
        try:
            completed = await data
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return cast("ExecutionResult", self.build_response(None))
        except Exception:
            await self.cancel_incremental_work()
            self.run_async_work_finished_hook()
            raise
        return cast("ExecutionResult", self.build_response(completed))

    def _execute_fields(self, plan: ObjectPlan, source: Any, path: Path | None) -> Any:
        """graphql-core's execute_fields, for a planned selection set."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for step in plan.steps:
                name = step.response_name
                kind = step.kind
                if kind is StepKind.TYPENAME:
                    results[name] = plan.type.name
                    continue
                if kind is StepKind.ATTRIBUTE:
                    try:
                        value = step.read(source, step.attribute)
                    except Exception as raw_error:
                        self._field_error(raw_error, step, path)
                        results[name] = None
                        continue
                    leaf = step.leaf
                    if leaf is not None:
                        output = _leaf_output(leaf, step.nullable, value, is_awaitable)
                        if output is not _UNHANDLED:
                            results[name] = output
                            continue
                    # null, an error or an awaitable: completed in full
                    result = self._complete_attribute(step, path, value)
                else:
                    result = self._resolve(step, source, path)
                results[name] = result
                if is_awaitable(result):
                    awaitable_fields.append(name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather_fields(results, awaitable_fields)

    async def _gather_fields(
        self, results: dict[str, Any], awaitable_fields: list[str]
    ) -> dict[str, Any]:
        if len(awaitable_fields) == 1:
            name = awaitable_fields[0]
            results[name] = await results[name]
        else:
            awaited = await gather_with_cancel(*(results[name] for name in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results

    def _resolve(self, step: FieldStep, source: Any, path: Path | None) -> Any:
        """graphql-core's execute_field for a field with a resolver of its own."""
        field_path = Path(path, step.response_name, step.parent_type.name)
        info = self.build_resolve_info(step.field_def, step.nodes, step.parent_type, field_path)
        try:
            arguments = step.arguments
            if arguments is None:
                first = step.details[0]
                arguments = get_argument_values(
                    step.field_def,
                    first.node,
                    self.variable_values,
                    first.fragment_variable_values,
                    self.hide_suggestions,
                )
            resolve = step.field_def.resolve or self.field_resolver
            result = resolve(source, info, **arguments)
        except Exception as raw_error:
            self.handle_field_error(raw_error, step.field_def.type, step.details, field_path)
            return None
        return self._complete_field(step, info, field_path, result)

    def _complete_attribute(self, step: FieldStep, path: Path | None, value: Any) -> Any:
        field_path = Path(path, step.response_name, step.parent_type.name)
        info = None
        if step.needs_info:
            info = self.build_resolve_info(step.field_def, step.nodes, step.parent_type, field_path)
        return self._complete_field(step, info, field_path, value)

    def _complete_field(self, step: FieldStep, info: Any, field_path: Path, result: Any) -> Any:
        """graphql-core's execute_field from the resolver's result on."""
        try:
            if self.is_awaitable(result):
                return self._complete_awaited(
                    step.completion, step.field_def.type, step, info, field_path, result
                )
            completed = self._complete(step.completion, step, info, field_path, result)
            if self.is_awaitable(completed):
                return self._await_completed(step.field_def.type, step, field_path, completed)
        except Exception as raw_error:
            self.handle_field_error(raw_error, step.field_def.type, step.details, field_path)
            return None
        return completed

    def _field_error(self, raw_error: Exception, step: FieldStep, path: Path | None) -> None:
        field_path = Path(path, step.response_name, step.parent_type.name)
        self.handle_field_error(raw_error, step.field_def.type, step.details, field_path)

    async def _complete_awaited(
        self,
        completion: Completion,
        output_type: GraphQLOutputType,
        step: FieldStep,
        info: Any,
        path: Path,
        result: Awaitable[Any],
    ) -> Any:
        """graphql-core's complete_awaitable_value (a field) and
        complete_awaitable_list_item_value (an item), `output_type` being the field's or the
        item's."""
        try:
            resolved = await result
            completed = self._complete(completion, step, info, path, resolved)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, output_type, step.details, path)
            return None
        return completed

    async def _await_completed(
        self, output_type: GraphQLOutputType, step: FieldStep, path: Path, completed: Any
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, output_type, step.details, path)
            return None

    def _complete(
        self, completion: Completion, step: FieldStep, info: Any, path: Path, result: Any
    ) -> Any:
        """graphql-core's complete_value, for a planned completion."""
        if isinstance(result, Exception):
            raise result
        if isinstance(completion, NonNull):
            completed = self._complete(completion.inner, step, info, path, result)
            if completed is None:
                raise TypeError(
                    "Cannot return null for non-nullable field"
                    f" {step.parent_type}.{step.field_name}."
                )
            return completed
        if result is None or result is Undefined:
            return None
        if isinstance(completion, Leaf):
            if type(result) is completion.passthrough:
                return result
            return self.complete_leaf_value(completion.output_type, result)
        if isinstance(completion, Object):
            if completion.is_type_of is not None:
                return self._checked_object(completion, step, info, path, result)
            return self._execute_fields(completion.plan, result, path)
        if isinstance(completion, ListOf) and not self.is_async_iterable(result):
            return self._complete_list(completion, step, info, path, result)
        # Interfaces, unions and async iterables: graphql-core completes them, with the
        # field's info (built for such a field: `needs_info`, or it has a resolver).
        return self.complete_value(completion.output_type, step.details, info, path, result, None)

    def _checked_object(
        self, completion: Object, step: FieldStep, info: Any, path: Path, result: Any
    ) -> Any:
        """graphql-core's complete_object_value for a type with is_type_of."""
        is_type_of = completion.is_type_of
        assert is_type_of is not None
        checked = is_type_of(result, info)
        if self.is_awaitable(checked):
            return self._await_checked_object(completion, step, path, result, checked)
        if not checked:
            raise invalid_return_type_error(completion.plan.type, result, step.details)
        return self._execute_fields(completion.plan, result, path)

    async def _await_checked_object(
        self, completion: Object, step: FieldStep, path: Path, result: Any, checked: Any
    ) -> Any:
        if not await checked:
            raise invalid_return_type_error(completion.plan.type, result, step.details)
        fields = self._execute_fields(completion.plan, result, path)
        if self.is_awaitable(fields):
            return await fields
        return fields

    def _complete_list(
        self, completion: ListOf, step: FieldStep, info: Any, path: Path, result: Any
    ) -> Any:
        """graphql-core's complete_iterable_value, for a planned item completion."""
        if not is_iterable(result):
            raise GraphQLError(
                "Expected Iterable, but did not find one for field"
                f" '{step.parent_type}.{step.field_name}'."
            )
        is_awaitable = self.is_awaitable
        item_completion = completion.item
        completed_results: list[Any] = []
        append = completed_results.append
        awaitable_indices: list[int] = []
        iterator = iter(result)
        index = 0
        try:
            for item in iterator:
                item_path = Path(path, index, None)
                if is_awaitable(item):
                    append(
                        self._complete_awaited(
                            item_completion, completion.item_type, step, info, item_path, item
                        )
                    )
                    awaitable_indices.append(index)
                else:
                    try:
                        completed = self._complete(item_completion, step, info, item_path, item)
                        if is_awaitable(completed):
                            append(
                                self._await_completed(
                                    completion.item_type, step, item_path, completed
                                )
                            )
                            awaitable_indices.append(index)
                        else:
                            append(completed)
                    except Exception as raw_error:
                        self.handle_field_error(
                            raw_error, completion.item_type, step.details, item_path
                        )
                        append(None)
                index += 1
        except Exception:
            pending = [completed_results[i] for i in awaitable_indices]
            pending.extend(collect_iterator_awaitables(iterator, is_awaitable))
            if pending:
                self.settle_in_background(pending)
            raise
        if not awaitable_indices:
            return completed_results
        return self._gather_items(completed_results, awaitable_indices)

    async def _gather_items(self, results: list[Any], awaitable_indices: list[int]) -> list[Any]:
        if len(awaitable_indices) == 1:
            index = awaitable_indices[0]
            results[index] = await results[index]
        else:
            awaited = await gather_with_cancel(*(results[index] for index in awaitable_indices))
            for index, value in zip(awaitable_indices, awaited, strict=True):
                results[index] = value
        return results
