"""Baseline (a): the naive design — one database transaction and one Kafka commit per event.

What a first consumer loop looks like: read a record, open a transaction, read the order's
row and stash, decide and project (the same domain rules as StreamView, so the views come
out equal), write row by row, store the position, commit, then commit the offset to Kafka.
Every statement is its own round trip; nothing is batched. It runs on a prefix of the same
topic, into its own database with the same schema.
"""

from __future__ import annotations

import time

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition

from adapters.postgres.rows import decode_envelope, encode_envelope, line_values, view_from_row
from adapters.postgres.rows import view_values as row_of
from domain.batch import OrderSnapshot, apply_batch
from domain.decoding import decode_record
from domain.records import Accepted, RawRecord

_SELECT_VIEW = (
    "SELECT order_id, customer_id, status, currency, total_net, total_gross, item_count,"
    " line_count, created_at, updated_at, last_event_sequence, last_event_id"
    " FROM orders_view WHERE order_id = %s FOR UPDATE"
)
_UPSERT_VIEW = (
    "INSERT INTO orders_view (order_id, customer_id, status, currency, total_net, total_gross,"
    " item_count, line_count, created_at, updated_at, last_event_sequence, last_event_id,"
    " dedup_event_id, projected_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())"
    " ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status,"
    " total_net = EXCLUDED.total_net, total_gross = EXCLUDED.total_gross,"
    " item_count = EXCLUDED.item_count, line_count = EXCLUDED.line_count,"
    " updated_at = EXCLUDED.updated_at, last_event_sequence = EXCLUDED.last_event_sequence,"
    " last_event_id = EXCLUDED.last_event_id, dedup_event_id = EXCLUDED.dedup_event_id,"
    " projected_at = now()"
)
_INSERT_LINE = "INSERT INTO order_items_view VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
_SELECT_STASH = "SELECT sequence, envelope::text FROM order_stash WHERE order_id = %s"
_INSERT_STASH = "INSERT INTO order_stash (order_id, sequence, envelope) VALUES (%s, %s, %s)"
_DELETE_STASH = "DELETE FROM order_stash WHERE order_id = %s AND sequence = %s"
_UPSERT_POSITION = (
    "INSERT INTO consumer_positions (consumer_group, topic, partition, next_offset)"
    " VALUES (%s, %s, %s, %s) ON CONFLICT (consumer_group, topic, partition)"
    " DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()"
)


async def _apply_one(conn: psycopg.AsyncConnection, record: RawRecord, group: str) -> None:
    decoded = decode_record(record)
    async with conn.transaction():
        if isinstance(decoded, Accepted):
            order_id = decoded.envelope.order_id
            row = await (await conn.execute(_SELECT_VIEW, (order_id,))).fetchone()
            snapshot = OrderSnapshot(None if row is None else view_from_row(row))
            stash = await conn.execute(_SELECT_STASH, (order_id,))
            for sequence, envelope in await stash.fetchall():
                snapshot.stash[sequence] = decode_envelope(envelope)
            result = apply_batch({order_id: snapshot}, [decoded.envelope])
            for view in result.views[-1:]:  # the furthest state of the order
                await conn.execute(_UPSERT_VIEW, (*row_of(view), view.last_event_id))
            for line in result.new_lines:
                await conn.execute(_INSERT_LINE, line_values(line))
            for released in result.released:
                await conn.execute(_DELETE_STASH, released)
            for envelope in result.stashed:
                await conn.execute(
                    _INSERT_STASH, (order_id, envelope.sequence, encode_envelope(envelope))
                )
        position = (group, record.topic, record.partition, record.offset + 1)
        await conn.execute(_UPSERT_POSITION, position)


async def run(bootstrap: str, topic: str, database_url: str, events: int, timeout: float) -> dict:
    """Apply the first `events` records of `topic` the naive way; events/s."""
    group = f"naive-{topic}"
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    conn = await psycopg.AsyncConnection.connect(database_url, autocommit=True)
    await consumer.start()
    done = 0
    started = time.perf_counter()
    try:
        while done < events and time.perf_counter() - started < timeout:
            message = await consumer.getone()
            record = RawRecord(
                message.topic,
                message.partition,
                message.offset,
                message.key,
                message.value,
                tuple(message.headers),
            )
            await _apply_one(conn, record, group)
            tp = TopicPartition(message.topic, message.partition)
            await consumer.commit({tp: message.offset + 1})
            done += 1
        seconds = time.perf_counter() - started
    finally:
        await consumer.stop()
        await conn.close()
    return {"events": done, "seconds": round(seconds, 2), "events_per_s": round(done / seconds)}
