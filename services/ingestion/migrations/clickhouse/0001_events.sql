-- Behavioral events, one row per accepted event (written by the event writer, see
-- docs/adr/0007-event-dedup.md). The writer's dedup table (0002) makes each messageId appear once
-- per workspace within the dedup window, so plain SELECTs need no FINAL; ReplacingMergeTree on the
-- sorting key is only the last layer (first seen wins: the version falls as received_at grows).
-- properties/traits/context use the JSON type (ClickHouse >= 25.3, or
-- allow_experimental_json_type = 1 on older servers): query them by path, e.g.
-- `properties.price`, `context.page.url`. The JSON type cannot hold everything JSON can (it
-- drops null and {} values, refuses integers beyond 64 bits and lone surrogates, and dotted keys
-- colliding with nested paths): those columns get a typed copy the writer makes storable, and
-- `raw` keeps the event's canonical JSON exactly as accepted (the source of truth for rebuilds
-- and replays, see docs/adr/0007-event-dedup.md "Fidelity").
CREATE TABLE IF NOT EXISTS events
(
    workspace_id       LowCardinality(String),
    message_id         String,
    type               LowCardinality(String),
    event              String,
    name               String,
    category           String,
    anonymous_id       String,
    user_id            String,
    group_id           String,
    previous_id        String,
    source_id          LowCardinality(String),
    write_key_id       LowCardinality(String),
    timestamp          DateTime64(3, 'UTC'),
    original_timestamp Nullable(DateTime64(3, 'UTC')),
    sent_at            Nullable(DateTime64(3, 'UTC')),
    received_at        DateTime64(3, 'UTC'),
    properties         JSON,
    traits             JSON,
    context            JSON,
    integrations       String,
    violations         Array(Tuple(path String, message String)),
    raw                String CODEC(ZSTD(3)),
    inserted_at        DateTime64(3, 'UTC') DEFAULT now64(3),
    dedup_version      UInt64 MATERIALIZED toUInt64(9999999999999) - toUInt64(toUnixTimestamp64Milli(received_at)),
    INDEX idx_anonymous_id anonymous_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_message_id message_id TYPE bloom_filter(0.001) GRANULARITY 4
)
ENGINE = ReplacingMergeTree(dedup_version)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (workspace_id, toDate(timestamp), event, message_id)
SETTINGS non_replicated_deduplication_window = 1000;
