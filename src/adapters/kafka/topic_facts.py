"""The consumed topic's settings and log starts, for the guard rails (application.topic_guard)."""

from __future__ import annotations

from aiokafka.errors import (
    KafkaError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)

from adapters.kafka.offsets import KafkaEndOffsets
from application.errors import Unavailable
from application.ports import TopicFacts

_DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000  # Kafka's own default


class KafkaTopicInspector:
    """Implements TopicInspector over the same clients as the lag report."""

    def __init__(self, offsets: KafkaEndOffsets) -> None:
        self._offsets = offsets

    async def facts(self, topic: str) -> TopicFacts:
        missing = f"topic {topic!r} does not exist (or DESCRIBE on it is denied)"
        try:
            log_starts = await self._offsets.log_starts(topic)
            if not log_starts:
                raise LookupError(missing)
            names = ("cleanup.policy", "retention.ms")
            configs = await self._offsets.topic_configs(topic, names)
        except TopicAuthorizationFailedError:
            raise PermissionError(
                f"Kafka denied DESCRIBE_CONFIGS (or READ) on topic {topic!r}, which the guard "
                "rails need: grant it to this principal (README, Production: the ACLs "
                "StreamView needs)"
            ) from None
        except UnknownTopicOrPartitionError:  # deleted between the two questions
            raise LookupError(missing) from None
        except (KafkaError, OSError, TimeoutError) as error:
            raise Unavailable(f"the broker did not answer: {type(error).__name__}") from error
        return TopicFacts(
            cleanup_policy=configs.get("cleanup.policy") or "delete",
            retention_ms=int(configs.get("retention.ms") or _DEFAULT_RETENTION_MS),
            log_starts=log_starts,
        )
