-- chatseal relay schema v1 (SQLite). The Postgres migration of the same number has the same
-- tables, columns and indexes; only the type names differ. No column holds plaintext.
CREATE TABLE tenants (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    key_hash BLOB PRIMARY KEY,
    key_id TEXT NOT NULL UNIQUE,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    handle BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    i2r_next BIGINT NOT NULL DEFAULT 0,
    i2r_link BLOB,
    i2r_closed BIGINT NOT NULL DEFAULT 0,
    r2i_next BIGINT NOT NULL DEFAULT 0,
    r2i_link BLOB,
    r2i_closed BIGINT NOT NULL DEFAULT 0,
    r2i_ack BIGINT NOT NULL DEFAULT -1,
    deleted_at BIGINT,
    UNIQUE (tenant_id, handle)
);
CREATE INDEX conversations_tenant_last ON conversations (tenant_id, last_at);

CREATE TABLE envelopes (
    id INTEGER PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    direction BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    role TEXT NOT NULL,
    time BIGINT NOT NULL,
    time_granularity BIGINT NOT NULL,
    length_bucket BIGINT NOT NULL,
    subject BLOB,
    pii_card BIGINT NOT NULL,
    pii_email BIGINT NOT NULL,
    pii_phone BIGINT NOT NULL,
    pii_ssn BIGINT NOT NULL,
    pii_iban BIGINT NOT NULL,
    pii_ip BIGINT NOT NULL,
    pii_secret BIGINT NOT NULL,
    flags TEXT NOT NULL,
    labels TEXT NOT NULL,
    link BLOB NOT NULL,
    ack_seq BIGINT,
    is_close BIGINT NOT NULL,
    stream_start BIGINT,
    stream_end BIGINT NOT NULL,
    stored_at BIGINT NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (conversation_id, direction, seq)
);
CREATE INDEX envelopes_stored_at ON envelopes (stored_at);

CREATE TABLE tombstones (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    handle BLOB NOT NULL,
    deleted_at BIGINT NOT NULL,
    deleted_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    envelopes BIGINT NOT NULL,
    service_acked_at BIGINT,
    service_digest TEXT
);
CREATE INDEX tombstones_pending ON tombstones (tenant_id, service_acked_at);

CREATE TABLE audit_heads (
    tenant_id BIGINT PRIMARY KEY REFERENCES tenants(id),
    seq BIGINT NOT NULL,
    hash BLOB NOT NULL
);

CREATE TABLE audit_log (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
