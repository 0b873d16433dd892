-- fracturecds store, version 2: the shared replay store and the readiness
-- row. Every JWT a CDS client signs carries a jti that may be accepted
-- once; with several replicas on one PostgreSQL, the insert-once row here
-- is what makes a token captured on its way to one replica useless at
-- another. The key is a SHA-256 of issuer and jti (never the token);
-- expires_at (Unix ms) is the token's exp plus the clock skew, after which
-- the purge removes it.
CREATE TABLE replay_jti (
    jti_key    TEXT   PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX replay_jti_expires_at ON replay_jti (expires_at);

-- One row the readiness check writes, so that /readyz fails when the
-- database no longer takes writes (read-only, full, a standby after a
-- failover) rather than only when it is unreachable.
CREATE TABLE store_health (
    id         INTEGER PRIMARY KEY,
    checked_at BIGINT  NOT NULL
);
