-- Crawler Hub schema, version 1 (SPEC §7).

CREATE TABLE jobs (
    id                text PRIMARY KEY,
    status            text        NOT NULL CHECK (status IN ('queued','assigned','running','completed','failed','cancelled','dead')),
    priority          integer     NOT NULL DEFAULT 1,
    job_type          text,
    command           text,
    entity_type       text        NOT NULL,
    entity_id         text        NOT NULL,
    full_path         text,
    account_id        text,
    gitlab_url        text,
    access_token      text,
    token_expires_at  timestamptz,
    resume_state      jsonb,
    progress          jsonb,
    metadata          jsonb,
    attempt           integer     NOT NULL DEFAULT 1,
    max_attempts      integer     NOT NULL DEFAULT 4,
    lease_owner       text,
    lease_expires_at  timestamptz,
    not_before        timestamptz,
    spawned_from      text REFERENCES jobs(id) ON DELETE SET NULL,
    dedupe_key        text,
    last_message_at   timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz
);

-- Claim order: highest priority first, then oldest (SPEC §2.2).
CREATE INDEX jobs_claim_idx ON jobs (priority DESC, created_at, id) WHERE status = 'queued';
CREATE INDEX jobs_status_idx ON jobs (status, created_at DESC, id DESC);
CREATE INDEX jobs_lease_owner_idx ON jobs (lease_owner) WHERE status IN ('assigned','running');
CREATE INDEX jobs_spawned_from_idx ON jobs (spawned_from);
CREATE INDEX jobs_created_idx ON jobs (created_at DESC, id DESC);
-- One open job per entity + command (POST /api/jobs dedupe) and idempotent discovery children.
CREATE UNIQUE INDEX jobs_open_dedupe_idx ON jobs (entity_type, entity_id, coalesce(command, ''))
    WHERE status IN ('queued','assigned','running');
CREATE UNIQUE INDEX jobs_dedupe_key_idx ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL;
-- Lease scanner: live leases by expiry, due retries.
CREATE INDEX jobs_lease_expiry_idx ON jobs (lease_expires_at) WHERE status IN ('assigned','running');
CREATE INDEX jobs_retry_due_idx ON jobs (not_before) WHERE status = 'failed';

CREATE TABLE job_events (
    id          bigserial PRIMARY KEY,
    job_id      text        NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    from_status text,
    to_status   text        NOT NULL,
    attempt     integer     NOT NULL,
    crawler_id  text,
    reason      text,
    node_id     text,
    details     jsonb,
    -- '<jobId>:<attempt>:<to_status>': a transition happens at most once per attempt, so a replayed
    -- write (after an ambiguous commit during a database outage) cannot duplicate its event.
    event_key   text        NOT NULL UNIQUE
);
CREATE INDEX job_events_job_idx ON job_events (job_id, id);

CREATE TABLE areas (
    id          bigserial PRIMARY KEY,
    gitlab_id   text        NOT NULL,
    type        text        NOT NULL CHECK (type IN ('group','project','user')),
    name        text        NOT NULL,
    full_path   text        NOT NULL,
    parent_id   text,
    discovered_by text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (gitlab_id, type)
);
CREATE INDEX areas_full_path_idx ON areas (full_path);

CREATE TABLE job_errors (
    id            text PRIMARY KEY,
    at            timestamptz NOT NULL,
    category      text        NOT NULL,
    severity      text        NOT NULL,
    code          text,
    message       text        NOT NULL,
    crawler_id    text,
    connection_id text,
    job_id        text,
    node_id       text,
    details       jsonb
);
CREATE INDEX job_errors_at_idx ON job_errors (at DESC);
CREATE INDEX job_errors_category_idx ON job_errors (category, at DESC);
CREATE INDEX job_errors_job_idx ON job_errors (job_id) WHERE job_id IS NOT NULL;

CREATE TABLE crawler_sessions (
    connection_id   text PRIMARY KEY,
    crawler_id      text        NOT NULL,
    node_id         text,
    transport       text,
    version         text,
    capabilities    jsonb,
    connected_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    disconnected_at timestamptz,
    disconnect_reason text,
    system_status   text,
    active_jobs     integer,
    total_processed bigint
);
CREATE INDEX crawler_sessions_crawler_idx ON crawler_sessions (crawler_id, connected_at DESC);
