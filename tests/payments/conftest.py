from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from datasources.payments.razorpay_provider import RazorpayProvider, RazorpaySettings
from tests.payments.stand_in_credentials import KEY_ID, KEY_SECRET, WEBHOOK_SECRET
from tests.stand_ins.razorpay_api import RazorpayApiStandIn


@pytest.fixture(scope="session")
def razorpay_api_server() -> Iterator[RazorpayApiStandIn]:
    server = RazorpayApiStandIn(KEY_ID, KEY_SECRET, WEBHOOK_SECRET)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def razorpay_api(razorpay_api_server: RazorpayApiStandIn) -> Iterator[RazorpayApiStandIn]:
    razorpay_api_server.reset()
    yield razorpay_api_server
    razorpay_api_server.reset()


@pytest.fixture
def razorpay_settings(razorpay_api: RazorpayApiStandIn) -> RazorpaySettings:
    return RazorpaySettings(
        key_id=KEY_ID,
        key_secret=KEY_SECRET,
        webhook_secret=WEBHOOK_SECRET,
        base_url=razorpay_api.base_url,
        connect_timeout_seconds=1.0,
        read_timeout_seconds=0.5,
        deadline_seconds=3.0,
        max_workers=4,
    )


@pytest.fixture
async def razorpay(razorpay_settings: RazorpaySettings) -> AsyncIterator[RazorpayProvider]:
    provider = RazorpayProvider(razorpay_settings)
    yield provider
    await provider.aclose()
