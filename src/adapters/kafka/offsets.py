"""Where the topic's partitions end, asked of the broker outside any consumer group."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import for_code

from adapters.kafka.closing import close_keeping_cancellation
from adapters.kafka.security import PLAINTEXT, KafkaSecurity


class KafkaEndOffsets:
    """Implements EndOffsets. Connects on first use and reconnects after a failed start."""

    def __init__(
        self, bootstrap: str, timeout_seconds: float = 5.0, security: KafkaSecurity = PLAINTEXT
    ) -> None:
        self._bootstrap = bootstrap
        self._security = security
        self._timeout = timeout_seconds
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._connecting = asyncio.Lock()

    async def partitions(self, topic: str) -> list[int]:
        """The topic's partitions; empty when the topic does not exist."""
        admin, _ = await self._clients()
        async with asyncio.timeout(self._timeout):
            # All topics: naming one would let a broker with auto-creation create it.
            described = await admin.describe_topics(None)
        return sorted(
            p["partition"] for t in described if t["topic"] == topic for p in t["partitions"]
        )

    async def end_offsets(self, topic: str) -> dict[int, int]:
        partitions = await self.partitions(topic)
        _, consumer = await self._clients()
        async with asyncio.timeout(self._timeout):
            ends = await consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return {tp.partition: offset for tp, offset in ends.items()}

    async def log_starts(self, topic: str) -> dict[int, int]:
        """The first offset still in the log of every partition (retention moves it up)."""
        partitions = await self.partitions(topic)
        _, consumer = await self._clients()
        async with asyncio.timeout(self._timeout):
            starts = await consumer.beginning_offsets(
                [TopicPartition(topic, p) for p in partitions]
            )
        return {tp.partition: offset for tp, offset in starts.items()}

    async def topic_configs(self, topic: str, names: tuple[str, ...]) -> dict[str, str]:
        """Some settings of the topic (needs DESCRIBE_CONFIGS on it)."""
        admin, _ = await self._clients()
        resource = ConfigResource(ConfigResourceType.TOPIC, topic, dict.fromkeys(names))
        async with asyncio.timeout(self._timeout):
            responses = await admin.describe_configs([resource])
        values: dict[str, str] = {}
        for response in responses:
            for code, message, _type, _name, entries in response.resources:
                if code != 0:
                    raise for_code(code)(message or topic)
                values.update({entry[0]: entry[1] for entry in entries})
        return values

    async def close(self) -> None:
        admin, consumer, self._admin, self._consumer = self._admin, self._consumer, None, None
        if consumer is not None:
            await close_keeping_cancellation(consumer.stop())
        if admin is not None:
            await close_keeping_cancellation(admin.close())

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        async with self._connecting:
            if self._admin is None or self._consumer is None:
                admin = AIOKafkaAdminClient(
                    bootstrap_servers=self._bootstrap,
                    client_id="streamview-offsets",
                    request_timeout_ms=int(self._timeout * 1000),
                    **self._security.client_kwargs(),
                )
                consumer = AIOKafkaConsumer(
                    bootstrap_servers=self._bootstrap,
                    client_id="streamview-offsets",
                    request_timeout_ms=int(self._timeout * 1000),
                    **self._security.client_kwargs(),
                )
                try:
                    async with asyncio.timeout(self._timeout):
                        await admin.start()
                        await consumer.start()
                except BaseException:
                    await close_keeping_cancellation(consumer.stop())
                    await close_keeping_cancellation(admin.close())
                    raise
                self._admin, self._consumer = admin, consumer
            return self._admin, self._consumer
