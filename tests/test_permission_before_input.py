"""Permission before input: an anonymous or plain caller gets the permission result however
malformed its input (nulls, huge strings, bad ids, out-of-range numbers); an admin gets an
InvalidInput naming the field, never an internal error; and no case writes anything."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from datasources.backends import Backends
from tests.conftest import graphql, token_for
from tests.db_state import written
from tests.factories import add_course

ADMIN = token_for(1, admin=True)
USER = token_for(2)
HUGE = "x" * 20_000  # well inside the 64 KiB body limit
_RESULT = "{ __typename ... on UserError { message } ... on InvalidInput { field } }"

# What a caller gets: a typename, and for InvalidInput the field it names.
Expect = tuple[str, str | None]
Cases = dict[str, tuple[dict[str, Any], Expect]]


def _invalid(field: str) -> Expect:
    return ("InvalidInput", field)


async def _answer(
    client: httpx.AsyncClient, document: str, variables: dict[str, Any], token: str | None
) -> Expect:
    body = await graphql(client, document, variables, token)
    assert "Internal error" not in str(body)
    assert "errors" not in body, body
    found = next(iter(body["data"].values()))
    return found["__typename"], found.get("field")


async def _check_admin_only(
    client: httpx.AsyncClient, backends: Backends, document: str, cases: Cases
) -> None:
    before = await written(backends)
    for name, (variables, as_admin) in cases.items():
        anonymous = await _answer(client, document, variables, None)
        assert anonymous[0] == "Unauthenticated", name
        assert (await _answer(client, document, variables, USER))[0] == "Forbidden", name
        assert await _answer(client, document, variables, ADMIN) == as_admin, name
    assert await written(backends) == before


async def _check_signed_in(
    client: httpx.AsyncClient, backends: Backends, document: str, cases: Cases
) -> None:
    before = await written(backends)
    for name, (variables, signed_in) in cases.items():
        anonymous = await _answer(client, document, variables, None)
        assert anonymous[0] == "Unauthenticated", name
        assert await _answer(client, document, variables, USER) == signed_in, name
        assert await _answer(client, document, variables, ADMIN) == signed_in, name
    assert await written(backends) == before


def _create_input(**overrides: Any) -> dict[str, Any]:
    return {
        "slug": "fine-slug",
        "title": "A Fine Title",
        "category": "CODING",
        "difficulty": "BEGINNER",
        "pricePaise": 100,
        **overrides,
    }


async def test_create_course(client: httpx.AsyncClient, backends: Backends) -> None:
    await add_course(backends)
    document = f"mutation($input: CreateCourseInput!) {{ createCourse(input: $input) {_RESULT} }}"
    cases: Cases = {
        "everything wrong": (
            {
                "input": _create_input(
                    slug="Not A Slug" + HUGE,
                    title=HUGE,
                    description=HUGE,
                    language="english",
                    tags=["Bad Tag", HUGE[:100]],
                    pricePaise=-1,
                    currency="XYZ",
                    validityDays=0,
                )
            },
            _invalid("slug"),
        ),
        "blank title": ({"input": _create_input(title="   ")}, _invalid("title")),
        "huge title": ({"input": _create_input(title=HUGE)}, _invalid("title")),
        "huge description": ({"input": _create_input(description=HUGE)}, _invalid("description")),
        "price over the guard": (
            {"input": _create_input(pricePaise=2**31 - 1)},
            _invalid("pricePaise"),
        ),
        "too many tags": ({"input": _create_input(tags=["a"] * 21)}, _invalid("tags")),
        "huge tag": ({"input": _create_input(tags=[HUGE])}, _invalid("tags")),
        "validity": ({"input": _create_input(validityDays=-5)}, _invalid("validityDays")),
        "currency": ({"input": _create_input(currency=HUGE)}, _invalid("currency")),
        "language": ({"input": _create_input(language="")}, _invalid("language")),
    }
    await _check_admin_only(client, backends, document, cases)


@pytest.mark.parametrize(
    "field",
    [
        "slug",
        "title",
        "description",
        "category",
        "difficulty",
        "language",
        "tags",
        "pricePaise",
        "currency",
        "isActive",
    ],
)
async def test_update_course_explicit_null_names_the_field(
    client: httpx.AsyncClient, backends: Backends, field: str
) -> None:
    course = await add_course(backends)
    document = (
        f"mutation($id: ID!, $input: UpdateCourseInput!) {{ updateCourse(id: $id, input: $input)"
        f" {_RESULT} }}"
    )
    cases: Cases = {
        f"{field}: null": ({"id": str(course.id), "input": {field: None}}, _invalid(field)),
        f"{field}: null with a valid change": (
            {"id": str(course.id), "input": {"title": "Renamed Course", field: None}},
            _invalid(field),
        ),
    }
    await _check_admin_only(client, backends, document, cases)


async def test_update_course(client: httpx.AsyncClient, backends: Backends) -> None:
    course = await add_course(backends)
    document = (
        f"mutation($id: ID!, $input: UpdateCourseInput!) {{ updateCourse(id: $id, input: $input)"
        f" {_RESULT} }}"
    )
    own = str(course.id)
    cases: Cases = {
        "bad id and null tags": ({"id": "not-an-id", "input": {"tags": None}}, _invalid("id")),
        "huge id": ({"id": HUGE, "input": {"title": "Renamed Course"}}, _invalid("id")),
        "id past 63 bits": ({"id": "9" * 20, "input": {"title": "Renamed"}}, _invalid("id")),
        "zero id": ({"id": "0", "input": {"title": "Renamed Course"}}, _invalid("id")),
        "negative id": ({"id": "-1", "input": {"title": "Renamed Course"}}, _invalid("id")),
        "full-width digits": ({"id": "\uff11", "input": {"title": "Renamed"}}, _invalid("id")),
        "nothing to change": ({"id": own, "input": {}}, _invalid("input")),
        "validity here": ({"id": own, "input": {"validityDays": None}}, _invalid("validityDays")),
        "validity and nulls": (
            {"id": own, "input": {"validityDays": 30, "tags": None}},
            _invalid("validityDays"),
        ),
        "every field null": (
            {
                "id": own,
                "input": {
                    name: None
                    for name in ("title", "tags", "pricePaise", "isActive", "slug", "currency")
                },
            },
            _invalid("slug"),
        ),
        "huge title": ({"id": own, "input": {"title": HUGE}}, _invalid("title")),
        "huge slug": ({"id": own, "input": {"slug": HUGE}}, _invalid("slug")),
        "blank title": ({"id": own, "input": {"title": " \t "}}, _invalid("title")),
        "negative price": ({"id": own, "input": {"pricePaise": -(2**31)}}, _invalid("pricePaise")),
        "bad tags": ({"id": own, "input": {"tags": ["Bad Tag"]}}, _invalid("tags")),
    }
    await _check_admin_only(client, backends, document, cases)


async def test_change_course_validity(client: httpx.AsyncClient, backends: Backends) -> None:
    course = await add_course(backends)
    document = (
        "mutation($courseId: ID!, $validityDays: Int) {"
        f" changeCourseValidity(courseId: $courseId, validityDays: $validityDays) {_RESULT} }}"
    )
    cases: Cases = {
        "bad id, null validity": (
            {"courseId": "abc", "validityDays": None},
            _invalid("courseId"),
        ),
        "huge id": ({"courseId": HUGE, "validityDays": 30}, _invalid("courseId")),
        "validity out of range": (
            {"courseId": str(course.id), "validityDays": 99_999},
            _invalid("validityDays"),
        ),
        "negative validity": (
            {"courseId": str(course.id), "validityDays": -(2**31)},
            _invalid("validityDays"),
        ),
    }
    await _check_admin_only(client, backends, document, cases)


async def test_extend_subscriptions(client: httpx.AsyncClient, backends: Backends) -> None:
    course = await add_course(backends)
    document = (
        "mutation($courseId: ID!, $days: Int!) {"
        f" extendSubscriptions(courseId: $courseId, days: $days) {_RESULT} }}"
    )
    cases: Cases = {
        "bad days": ({"courseId": str(course.id), "days": -5}, _invalid("days")),
        "days past the cap": ({"courseId": str(course.id), "days": 2**31 - 1}, _invalid("days")),
        "empty id": ({"courseId": "", "days": 1}, _invalid("courseId")),
        "huge id": ({"courseId": HUGE, "days": 1}, _invalid("courseId")),
    }
    await _check_admin_only(client, backends, document, cases)


async def test_grant_course(client: httpx.AsyncClient, backends: Backends) -> None:
    course = await add_course(backends)
    document = (
        "mutation($courseId: ID!, $userIds: [ID!]!) {"
        f" grantCourse(courseId: $courseId, userIds: $userIds) {_RESULT} }}"
    )
    own = str(course.id)
    cases: Cases = {
        "no users": ({"courseId": own, "userIds": []}, _invalid("userIds")),
        "bad user id": ({"courseId": own, "userIds": ["7", "x"]}, _invalid("userIds")),
        "huge user id": ({"courseId": own, "userIds": [HUGE]}, _invalid("userIds")),
        "too many users": (
            {"courseId": own, "userIds": [str(n) for n in range(1, 1_100)]},
            _invalid("userIds"),
        ),
        "bad course id": ({"courseId": "-3", "userIds": ["7"]}, _invalid("courseId")),
    }
    await _check_admin_only(client, backends, document, cases)


@pytest.mark.parametrize("mutation", ["enroll", "cancelSubscription"])
async def test_enroll_and_cancel(
    client: httpx.AsyncClient, backends: Backends, mutation: str
) -> None:
    await add_course(backends)
    document = f"mutation($courseId: ID!) {{ {mutation}(courseId: $courseId) {_RESULT} }}"
    cases: Cases = {
        raw[:12] or "empty": ({"courseId": raw}, _invalid("courseId"))
        for raw in ("", "abc", "0", "-1", "9" * 20, "1.5", HUGE)
    }
    await _check_signed_in(client, backends, document, cases)


async def test_start_checkout(client: httpx.AsyncClient, backends: Backends) -> None:
    paid = await add_course(backends, price_paise=49_900)
    document = (
        "mutation($courseId: ID!, $key: String!) {"
        f" startCheckout(courseId: $courseId, idempotencyKey: $key) {_RESULT} }}"
    )
    own = str(paid.id)
    cases: Cases = {
        "bad id": ({"courseId": "abc", "key": "k-1"}, _invalid("courseId")),
        "huge id, huge key": ({"courseId": HUGE, "key": HUGE}, _invalid("courseId")),
        "empty key": ({"courseId": own, "key": ""}, _invalid("idempotencyKey")),
        "huge key": ({"courseId": own, "key": HUGE}, _invalid("idempotencyKey")),
        "key with spaces": ({"courseId": own, "key": "a b"}, _invalid("idempotencyKey")),
    }
    await _check_signed_in(client, backends, document, cases)


async def test_confirm_payment(client: httpx.AsyncClient, backends: Backends) -> None:
    document = (
        "mutation($orderId: String!, $paymentId: String!, $signature: String!) {"
        " confirmPayment(orderId: $orderId, paymentId: $paymentId, signature: $signature)"
        f" {_RESULT} }}"
    )
    cases: Cases = {
        "empty order id": (
            {"orderId": "", "paymentId": "", "signature": ""},
            _invalid("orderId"),
        ),
        "huge order id": (
            {"orderId": "order_" + HUGE, "paymentId": "pay_1", "signature": "s"},
            _invalid("orderId"),
        ),
        "bad payment id": (
            {"orderId": "order_abc", "paymentId": HUGE, "signature": HUGE},
            _invalid("paymentId"),
        ),
        "huge signature": (
            {"orderId": "order_abc", "paymentId": "pay_abc", "signature": HUGE},
            ("InvalidSignature", None),
        ),
    }
    await _check_signed_in(client, backends, document, cases)


async def _error_code(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str | None
) -> str:
    body = await graphql(client, query, variables, token)
    assert "Internal error" not in str(body)
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def test_admin_and_signed_in_query_fields(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    """Query fields raise errors with a code: the permission code comes before BAD_USER_INPUT."""
    before = await written(backends)
    inactive = (
        "query($first: Int!, $language: String) { courses(first: $first,"
        " filter: {activeOnly: false, language: $language}) { edges { cursor } } }"
    )
    bad_page = {"first": 0, "language": HUGE}
    assert await _error_code(client, inactive, bad_page, None) == "FORBIDDEN"
    assert await _error_code(client, inactive, bad_page, USER) == "FORBIDDEN"
    assert await _error_code(client, inactive, bad_page, ADMIN) == "BAD_USER_INPUT"

    job = "query($id: ID!) { job(id: $id) { id } }"
    assert await _error_code(client, job, {"id": HUGE}, None) == "UNAUTHENTICATED"
    assert await _error_code(client, job, {"id": HUGE}, USER) == "FORBIDDEN"
    assert await _error_code(client, job, {"id": HUGE}, ADMIN) == "BAD_USER_INPUT"

    mine = (
        "query($first: Int!, $after: String, $within: Int!) { me {"
        " subscriptions(first: $first, after: $after) { edges { cursor } }"
        " expiringSubscriptions(withinDays: $within, first: $first, after: $after)"
        " { edges { cursor } } } }"
    )
    bad_mine = {"first": -1, "after": HUGE, "within": 0}
    assert await _error_code(client, mine, bad_mine, None) == "UNAUTHENTICATED"
    assert await _error_code(client, mine, bad_mine, USER) == "BAD_USER_INPUT"
    assert await written(backends) == before
