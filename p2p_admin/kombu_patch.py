"""A worker must outlive its broker: kombu 5.7's Redis transport kills the worker when the
connection to Redis drops while it holds unacknowledged tasks.

On a lost connection the consumer closes its channel; closing restores the unacknowledged
messages to their queue, which needs a Redis client, and by then the transport has let go of
its connection parameters (`connection.client` is None): AttributeError "'NoneType' object has
no attribute 'hostname'", an "Unrecoverable error", and the worker process exits. Found by the
soak test (bench/soak, redis_restart).

Redis is unreachable at that moment anyway, so there is nothing to restore through: the
messages stay in Redis's `unacked` set, where any worker's `restore_visible` puts them back
after the visibility timeout, and every task of ours is also redone from the database by the
beat sweeps. The patch skips only that restore, only when the transport has no connection."""

import logging

from kombu.transport import redis as kombu_redis

logger = logging.getLogger(__name__)
_restore_unacked = kombu_redis.QoS.restore_unacked


def restore_unacked(self, client=None):
    if client is None and getattr(self.channel.connection, "client", None) is None:
        if self._delivered:
            logger.warning(
                "broker connection lost: %d unacknowledged task(s) left in Redis's unacked set for restore_visible",
                len(self._delivered),
            )
        self._delivered.clear()
        return []
    return _restore_unacked(self, client)


def install() -> None:
    kombu_redis.QoS.restore_unacked = restore_unacked
