"""The Redis token bucket that paces every worker of a connection together (clock passed in)."""

import pytest

from datasync.ratelimit import TokenBucket


@pytest.fixture
def bucket():
    first = TokenBucket("test-bucket", rate=5)
    first.reset()
    yield first
    first.reset()


def test_a_burst_of_one_second_then_the_rate(bucket):
    assert [bucket.try_take(now=1000.0) for _ in range(5)] == [0.0] * 5
    assert bucket.try_take(now=1000.0) == pytest.approx(0.2)
    assert bucket.try_take(now=1000.1) == pytest.approx(0.1)
    assert bucket.try_take(now=1000.2) == 0.0
    assert bucket.try_take(now=1000.2) == pytest.approx(0.2)


def test_every_worker_shares_one_bucket_per_connection(bucket):
    other_worker = TokenBucket("test-bucket", rate=5)
    another_connection = TokenBucket("test-bucket-2", rate=5)
    another_connection.reset()
    for _ in range(5):
        assert bucket.try_take(now=2000.0) == 0.0
    assert other_worker.try_take(now=2000.0) > 0
    assert another_connection.try_take(now=2000.0) == 0.0
    another_connection.reset()


def test_retry_after_holds_every_worker_back(bucket):
    bucket.block_for(30, now=3000.0)
    bucket.block_for(5, now=3000.0)  # a shorter pause never shortens a longer one
    assert TokenBucket("test-bucket", rate=5).try_take(now=3010.0) == pytest.approx(20.0)
    assert bucket.try_take(now=3030.5) == 0.0


def test_without_redis_one_process_paces_itself(settings):
    settings.REDIS_URL = ""
    local = TokenBucket("local", rate=10)
    assert local.try_take(now=1.0) == 0.0
    assert local.try_take(now=1.05) == pytest.approx(0.05)
    assert local.try_take(now=1.1) == 0.0
