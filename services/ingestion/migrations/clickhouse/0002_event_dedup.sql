-- messageId claims of the event writer: the authoritative (workspace_id, message_id) dedup window
-- (INGEST_DEDUP_WINDOW_HOURS, default 24 h). A flush first CLAIMS its ids (one row per
-- (workspace, messageId, flush)), reads the claims back, inserts into `events` only the ids whose
-- earliest claim is its own, then marks them committed (same key, committed = 1 replaces the
-- claim). See docs/adr/0007-event-dedup.md for the crash cases.
-- Lookups filter claimed_at by the configured window exactly; the TTL only reclaims space (the
-- writer aligns it with INGEST_DEDUP_WINDOW_HOURS at start). Daily partitions let TTL drop whole
-- parts.
CREATE TABLE IF NOT EXISTS event_dedup
(
    workspace_id LowCardinality(String),
    message_id   String,
    flush_id     String,
    claimed_at   DateTime64(6, 'UTC') DEFAULT now64(6),
    committed    UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(committed)
PARTITION BY toDate(claimed_at)
ORDER BY (workspace_id, message_id, flush_id)
TTL toDateTime(claimed_at) + toIntervalHour(24)
SETTINGS non_replicated_deduplication_window = 1000, ttl_only_drop_parts = 1, index_granularity = 1024;
