-- fracturecds feedback store, version 1. The same SQL runs on SQLite and
-- PostgreSQL: times are Unix milliseconds (BIGINT), lists are
-- space-separated text. No patient data is stored anywhere.

-- Every card the service issued, so that feedback (which names only the
-- card uuid) can be tied to its service and topic.
CREATE TABLE issued_cards (
    card_uuid        TEXT   PRIMARY KEY,
    service          TEXT   NOT NULL,
    topic            TEXT   NOT NULL,
    indicator        TEXT   NOT NULL,
    suggestion_uuids TEXT   NOT NULL,
    issued_at        BIGINT NOT NULL
);
CREATE INDEX issued_cards_issued_at ON issued_cards (issued_at);

-- Feedback items. dedup_key is a hash of the natural key (card, outcome,
-- outcomeTimestamp, accepted suggestion ids, reason), so the same feedback
-- sent twice is stored once.
CREATE TABLE feedback (
    dedup_key            TEXT   PRIMARY KEY,
    card_uuid            TEXT   NOT NULL,
    service              TEXT   NOT NULL,
    outcome              TEXT   NOT NULL,
    accepted_suggestions TEXT   NOT NULL,
    reason_system        TEXT   NOT NULL,
    reason_code          TEXT   NOT NULL,
    user_comment         TEXT   NOT NULL,
    outcome_at           BIGINT NOT NULL,
    received_at          BIGINT NOT NULL
);
CREATE INDEX feedback_card_uuid ON feedback (card_uuid);
CREATE INDEX feedback_outcome_at ON feedback (outcome_at);
CREATE INDEX feedback_received_at ON feedback (received_at);
