-- Behavioral events, one row per accepted event. ReplacingMergeTree on the dedup key makes a
-- redelivered batch invisible to FINAL / deduplicating queries; the timestamp is fixed once at
-- ingestion so a redelivery lands on the same key.
CREATE TABLE IF NOT EXISTS events
(
    workspace_id       LowCardinality(String),
    message_id         String,
    type               LowCardinality(String),
    event              String,
    anonymous_id       String,
    user_id            String,
    group_id           String,
    previous_id        String,
    source_id          LowCardinality(String),
    timestamp          DateTime64(3, 'UTC'),
    original_timestamp Nullable(DateTime64(3, 'UTC')),
    sent_at            Nullable(DateTime64(3, 'UTC')),
    received_at        DateTime64(3, 'UTC'),
    properties         JSON,
    traits             JSON,
    context            JSON,
    integrations       String,
    inserted_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (workspace_id, toDate(timestamp), message_id);
