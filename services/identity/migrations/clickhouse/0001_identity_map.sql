-- Identifier -> current canonical profile id. Behavioral queries join through it so they follow
-- merges without rewriting event history; the highest version per identifier wins.
CREATE TABLE IF NOT EXISTS identity_map
(
    workspace_id     LowCardinality(String),
    identifier_type  LowCardinality(String),
    identifier_value String,
    profile_id       String,
    version          UInt64,
    updated_at       DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (workspace_id, identifier_type, identifier_value);
