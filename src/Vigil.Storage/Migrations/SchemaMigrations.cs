namespace Vigil.Storage.Migrations;

/// <summary>
/// Vigil's schema as an ordered list of steps, shared by SQLite and PostgreSQL. A step, once released, is never
/// edited: a change to the schema is a new step at the end, so a store created by an older Vigil is migrated, never dropped.
/// </summary>
/// <remarks>
/// Conventions: snake_case names; timestamps are <c>INTEGER</c> unix microseconds (UTC) in SQLite and <c>timestamptz</c>
/// in PostgreSQL, both precise to the microsecond; JSON the store writes itself is <c>TEXT</c> in SQLite and <c>jsonb</c>
/// in PostgreSQL; JSON written by callers (audit before/after, prediction rows, outcome values, flag definitions, release
/// plans, states and event details) is kept as text, exactly as given.
/// </remarks>
internal static class SchemaMigrations
{
    /// <summary>Every step, in order.</summary>
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "registry, aliases and audit log",
            Sqlite: """
                CREATE TABLE services (
                    name        TEXT    NOT NULL PRIMARY KEY,
                    description TEXT    NOT NULL,
                    inputs      TEXT    NOT NULL,
                    output      TEXT    NOT NULL,
                    created_at  INTEGER NOT NULL
                );

                CREATE TABLE model_versions (
                    service    TEXT    NOT NULL REFERENCES services (name),
                    number     INTEGER NOT NULL,
                    backend    TEXT    NOT NULL,
                    metadata   TEXT    NOT NULL,
                    metrics    TEXT    NOT NULL,
                    created_at INTEGER NOT NULL,
                    created_by TEXT    NOT NULL,
                    PRIMARY KEY (service, number)
                );

                CREATE TABLE aliases (
                    service           TEXT    NOT NULL PRIMARY KEY REFERENCES services (name),
                    champion          INTEGER,
                    challenger        INTEGER,
                    previous_champion INTEGER,
                    revision          INTEGER NOT NULL,
                    FOREIGN KEY (service, champion) REFERENCES model_versions (service, number),
                    FOREIGN KEY (service, challenger) REFERENCES model_versions (service, number),
                    FOREIGN KEY (service, previous_champion) REFERENCES model_versions (service, number)
                );

                CREATE TABLE alias_history (
                    id           INTEGER PRIMARY KEY AUTOINCREMENT,
                    service      TEXT    NOT NULL REFERENCES services (name),
                    alias        TEXT    NOT NULL,
                    from_version INTEGER,
                    to_version   INTEGER,
                    at           INTEGER NOT NULL,
                    actor        TEXT    NOT NULL,
                    action       TEXT    NOT NULL,
                    reason       TEXT
                );
                CREATE INDEX alias_history_service ON alias_history (service, id);

                CREATE TABLE audit_events (
                    id      INTEGER PRIMARY KEY AUTOINCREMENT,
                    at      INTEGER NOT NULL,
                    actor   TEXT    NOT NULL,
                    action  TEXT    NOT NULL,
                    service TEXT,
                    target  TEXT    NOT NULL,
                    before  TEXT,
                    after   TEXT,
                    reason  TEXT
                );
                CREATE INDEX audit_events_at ON audit_events (at);
                CREATE INDEX audit_events_service ON audit_events (service, at);
                """,
            Postgres: """
                CREATE TABLE services (
                    name        text        NOT NULL PRIMARY KEY,
                    description text        NOT NULL,
                    inputs      jsonb       NOT NULL,
                    output      jsonb       NOT NULL,
                    created_at  timestamptz NOT NULL
                );

                CREATE TABLE model_versions (
                    service    text        NOT NULL REFERENCES services (name),
                    number     integer     NOT NULL,
                    backend    jsonb       NOT NULL,
                    metadata   jsonb       NOT NULL,
                    metrics    jsonb       NOT NULL,
                    created_at timestamptz NOT NULL,
                    created_by text        NOT NULL,
                    PRIMARY KEY (service, number)
                );

                CREATE TABLE aliases (
                    service           text    NOT NULL PRIMARY KEY REFERENCES services (name),
                    champion          integer,
                    challenger        integer,
                    previous_champion integer,
                    revision          bigint  NOT NULL,
                    FOREIGN KEY (service, champion) REFERENCES model_versions (service, number),
                    FOREIGN KEY (service, challenger) REFERENCES model_versions (service, number),
                    FOREIGN KEY (service, previous_champion) REFERENCES model_versions (service, number)
                );

                CREATE TABLE alias_history (
                    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    service      text        NOT NULL REFERENCES services (name),
                    alias        text        NOT NULL,
                    from_version integer,
                    to_version   integer,
                    at           timestamptz NOT NULL,
                    actor        text        NOT NULL,
                    action       text        NOT NULL,
                    reason       text
                );
                CREATE INDEX alias_history_service ON alias_history (service, id);

                CREATE TABLE audit_events (
                    id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    at      timestamptz NOT NULL,
                    actor   text        NOT NULL,
                    action  text        NOT NULL,
                    service text,
                    target  text        NOT NULL,
                    before  text,
                    after   text,
                    reason  text
                );
                CREATE INDEX audit_events_at ON audit_events (at);
                CREATE INDEX audit_events_service ON audit_events (service, at);
                """),

        new(2, "predictions and outcomes",
            Sqlite: """
                CREATE TABLE predictions (
                    request_id TEXT    NOT NULL PRIMARY KEY,
                    at         INTEGER NOT NULL,
                    service    TEXT    NOT NULL,
                    version    INTEGER NOT NULL,
                    arm        TEXT    NOT NULL,
                    key        TEXT,
                    attributes TEXT    NOT NULL,
                    inputs     TEXT    NOT NULL,
                    outputs    TEXT,
                    latency_ms REAL    NOT NULL,
                    error      TEXT
                );
                CREATE INDEX predictions_service_at ON predictions (service, at);

                CREATE TABLE outcomes (
                    request_id  TEXT    NOT NULL,
                    name        TEXT    NOT NULL,
                    value       TEXT    NOT NULL,
                    numeric     REAL,
                    received_at INTEGER NOT NULL,
                    PRIMARY KEY (request_id, name)
                );
                """,
            Postgres: """
                CREATE TABLE predictions (
                    request_id text             NOT NULL PRIMARY KEY,
                    at         timestamptz      NOT NULL,
                    service    text             NOT NULL,
                    version    integer          NOT NULL,
                    arm        text             NOT NULL,
                    key        text,
                    attributes text             NOT NULL,
                    inputs     text             NOT NULL,
                    outputs    text,
                    latency_ms double precision NOT NULL,
                    error      text
                );
                CREATE INDEX predictions_service_at ON predictions (service, at);

                CREATE TABLE outcomes (
                    request_id  text             NOT NULL,
                    name        text             NOT NULL,
                    value       text             NOT NULL,
                    numeric     double precision,
                    received_at timestamptz      NOT NULL,
                    PRIMARY KEY (request_id, name)
                );
                """),

        new(3, "API keys",
            Sqlite: """
                CREATE TABLE api_keys (
                    id          TEXT    NOT NULL PRIMARY KEY,
                    name        TEXT    NOT NULL,
                    scopes      INTEGER NOT NULL,
                    secret_hash TEXT    NOT NULL,
                    created_at  INTEGER NOT NULL,
                    revoked_at  INTEGER
                );
                """,
            Postgres: """
                CREATE TABLE api_keys (
                    id          text        NOT NULL PRIMARY KEY,
                    name        text        NOT NULL,
                    scopes      integer     NOT NULL,
                    secret_hash text        NOT NULL,
                    created_at  timestamptz NOT NULL,
                    revoked_at  timestamptz
                );
                """),

        new(4, "flags, releases and release events",
            Sqlite: """
                CREATE TABLE flags (
                    key        TEXT    NOT NULL PRIMARY KEY,
                    service    TEXT,
                    definition TEXT    NOT NULL,
                    revision   INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX flags_service ON flags (service);

                CREATE TABLE releases (
                    id         TEXT    NOT NULL PRIMARY KEY,
                    service    TEXT    NOT NULL REFERENCES services (name),
                    challenger INTEGER NOT NULL,
                    status     TEXT    NOT NULL,
                    active     INTEGER NOT NULL CHECK (active IN (0, 1)),
                    plan       TEXT    NOT NULL,
                    state      TEXT    NOT NULL,
                    revision   INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    FOREIGN KEY (service, challenger) REFERENCES model_versions (service, number)
                );
                CREATE UNIQUE INDEX releases_one_active ON releases (service) WHERE active = 1;
                CREATE INDEX releases_service ON releases (service, created_at);

                CREATE TABLE release_events (
                    id          INTEGER PRIMARY KEY AUTOINCREMENT,
                    release_id  TEXT    NOT NULL REFERENCES releases (id),
                    at          INTEGER NOT NULL,
                    from_status TEXT    NOT NULL,
                    to_status   TEXT    NOT NULL,
                    actor       TEXT    NOT NULL,
                    reason      TEXT    NOT NULL,
                    details     TEXT
                );
                CREATE INDEX release_events_release ON release_events (release_id, id);
                """,
            Postgres: """
                CREATE TABLE flags (
                    key        text        NOT NULL PRIMARY KEY,
                    service    text,
                    definition text        NOT NULL,
                    revision   bigint      NOT NULL,
                    updated_at timestamptz NOT NULL
                );
                CREATE INDEX flags_service ON flags (service);

                CREATE TABLE releases (
                    id         text        NOT NULL PRIMARY KEY,
                    service    text        NOT NULL REFERENCES services (name),
                    challenger integer     NOT NULL,
                    status     text        NOT NULL,
                    active     boolean     NOT NULL,
                    plan       text        NOT NULL,
                    state      text        NOT NULL,
                    revision   bigint      NOT NULL,
                    created_at timestamptz NOT NULL,
                    updated_at timestamptz NOT NULL,
                    FOREIGN KEY (service, challenger) REFERENCES model_versions (service, number)
                );
                CREATE UNIQUE INDEX releases_one_active ON releases (service) WHERE active;
                CREATE INDEX releases_service ON releases (service, created_at);

                CREATE TABLE release_events (
                    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    release_id  text        NOT NULL REFERENCES releases (id),
                    at          timestamptz NOT NULL,
                    from_status text        NOT NULL,
                    to_status   text        NOT NULL,
                    actor       text        NOT NULL,
                    reason      text        NOT NULL,
                    details     text
                );
                CREATE INDEX release_events_release ON release_events (release_id, id);
                """),
        new(5, "flag decision and shadow pairing per prediction; flag segments",
            Sqlite: """
                ALTER TABLE predictions ADD COLUMN flag_key TEXT;
                ALTER TABLE predictions ADD COLUMN flag_reason TEXT;
                ALTER TABLE predictions ADD COLUMN shadow_of TEXT;
                CREATE INDEX predictions_shadow_of ON predictions (shadow_of) WHERE shadow_of IS NOT NULL;

                CREATE TABLE flag_segments (
                    key        TEXT    NOT NULL PRIMARY KEY,
                    service    TEXT,
                    definition TEXT    NOT NULL,
                    revision   INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                """,
            Postgres: """
                ALTER TABLE predictions ADD COLUMN flag_key text;
                ALTER TABLE predictions ADD COLUMN flag_reason text;
                ALTER TABLE predictions ADD COLUMN shadow_of text;
                CREATE INDEX predictions_shadow_of ON predictions (shadow_of) WHERE shadow_of IS NOT NULL;

                CREATE TABLE flag_segments (
                    key        text        NOT NULL PRIMARY KEY,
                    service    text,
                    definition text        NOT NULL,
                    revision   bigint      NOT NULL,
                    updated_at timestamptz NOT NULL
                );
                """),
        new(6, "pipelines, their revisions, traces and judgments",
            Sqlite: """
                CREATE TABLE pipelines (
                    name       TEXT    NOT NULL PRIMARY KEY,
                    definition TEXT    NOT NULL,
                    revision   INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );

                CREATE TABLE pipeline_revisions (
                    name       TEXT    NOT NULL REFERENCES pipelines (name),
                    revision   INTEGER NOT NULL,
                    definition TEXT    NOT NULL,
                    applied_at INTEGER NOT NULL,
                    PRIMARY KEY (name, revision)
                );

                CREATE TABLE pipeline_traces (
                    pipeline    TEXT    NOT NULL,
                    trace_id    TEXT    NOT NULL,
                    at          INTEGER NOT NULL,
                    stages      TEXT    NOT NULL,
                    PRIMARY KEY (pipeline, trace_id)
                );
                CREATE INDEX pipeline_traces_at ON pipeline_traces (pipeline, at);

                CREATE TABLE pipeline_judgments (
                    id          INTEGER PRIMARY KEY AUTOINCREMENT,
                    pipeline    TEXT    NOT NULL,
                    trace_id    TEXT    NOT NULL,
                    received_at INTEGER NOT NULL,
                    judgment    TEXT    NOT NULL
                );
                CREATE INDEX pipeline_judgments_trace ON pipeline_judgments (pipeline, trace_id, id);
                """,
            Postgres: """
                CREATE TABLE pipelines (
                    name       text        NOT NULL PRIMARY KEY,
                    definition text        NOT NULL,
                    revision   bigint      NOT NULL,
                    created_at timestamptz NOT NULL,
                    updated_at timestamptz NOT NULL
                );

                CREATE TABLE pipeline_revisions (
                    name       text        NOT NULL REFERENCES pipelines (name),
                    revision   bigint      NOT NULL,
                    definition text        NOT NULL,
                    applied_at timestamptz NOT NULL,
                    PRIMARY KEY (name, revision)
                );

                CREATE TABLE pipeline_traces (
                    pipeline text        NOT NULL,
                    trace_id text        NOT NULL,
                    at       timestamptz NOT NULL,
                    stages   text        NOT NULL,
                    PRIMARY KEY (pipeline, trace_id)
                );
                CREATE INDEX pipeline_traces_at ON pipeline_traces (pipeline, at);

                CREATE TABLE pipeline_judgments (
                    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    pipeline    text        NOT NULL,
                    trace_id    text        NOT NULL,
                    received_at timestamptz NOT NULL,
                    judgment    text        NOT NULL
                );
                CREATE INDEX pipeline_judgments_trace ON pipeline_judgments (pipeline, trace_id, id);
                """),
        new(7, "monitoring: baselines, window summaries, alert states and silences",
            Sqlite: """
                CREATE TABLE baselines (
                    service    TEXT    NOT NULL,
                    version    INTEGER NOT NULL,
                    rows       INTEGER NOT NULL,
                    source     TEXT    NOT NULL,
                    created_at INTEGER NOT NULL,
                    created_by TEXT    NOT NULL,
                    PRIMARY KEY (service, version),
                    FOREIGN KEY (service, version) REFERENCES model_versions (service, number)
                );

                CREATE TABLE baseline_profiles (
                    service TEXT    NOT NULL,
                    version INTEGER NOT NULL,
                    feature TEXT    NOT NULL,
                    profile BLOB    NOT NULL,
                    PRIMARY KEY (service, version, feature),
                    FOREIGN KEY (service, version) REFERENCES baselines (service, version)
                );

                CREATE TABLE monitor_windows (
                    service    TEXT    NOT NULL,
                    version    INTEGER NOT NULL,
                    arm        TEXT    NOT NULL,
                    resolution TEXT    NOT NULL,
                    start      INTEGER NOT NULL,
                    summary    TEXT    NOT NULL,
                    PRIMARY KEY (service, version, arm, resolution, start)
                );
                CREATE INDEX monitor_windows_service ON monitor_windows (service, resolution, start);
                CREATE INDEX monitor_windows_start ON monitor_windows (resolution, start);

                CREATE TABLE alerts (
                    id                     TEXT    NOT NULL PRIMARY KEY,
                    service                TEXT    NOT NULL,
                    version                INTEGER NOT NULL,
                    arm                    TEXT    NOT NULL,
                    monitor                TEXT    NOT NULL,
                    subject                TEXT    NOT NULL,
                    state                  TEXT    NOT NULL,
                    severity               TEXT    NOT NULL,
                    layer                  TEXT    NOT NULL,
                    active_at              INTEGER,
                    first_bad_window_start INTEGER,
                    fired_at               INTEGER,
                    last_held_at           INTEGER,
                    resolved_at            INTEGER,
                    value                  REAL,
                    threshold              REAL    NOT NULL,
                    time_to_detect_seconds REAL,
                    summary                TEXT,
                    inhibited              INTEGER NOT NULL,
                    ack_by                 TEXT,
                    ack_at                 INTEGER,
                    ack_reason             TEXT,
                    revision               INTEGER NOT NULL,
                    updated_at             INTEGER NOT NULL
                );
                CREATE INDEX alerts_service ON alerts (service, state);

                CREATE TABLE silences (
                    id         TEXT    NOT NULL PRIMARY KEY,
                    service    TEXT,
                    monitor    TEXT,
                    subject    TEXT,
                    starts_at  INTEGER NOT NULL,
                    ends_at    INTEGER NOT NULL,
                    created_by TEXT    NOT NULL,
                    comment    TEXT    NOT NULL,
                    created_at INTEGER NOT NULL,
                    expired_by TEXT
                );
                CREATE INDEX silences_ends_at ON silences (ends_at);
                """,
            Postgres: """
                CREATE TABLE baselines (
                    service    text        NOT NULL,
                    version    integer     NOT NULL,
                    rows       bigint      NOT NULL,
                    source     text        NOT NULL,
                    created_at timestamptz NOT NULL,
                    created_by text        NOT NULL,
                    PRIMARY KEY (service, version),
                    FOREIGN KEY (service, version) REFERENCES model_versions (service, number)
                );

                CREATE TABLE baseline_profiles (
                    service text    NOT NULL,
                    version integer NOT NULL,
                    feature text    NOT NULL,
                    profile bytea   NOT NULL,
                    PRIMARY KEY (service, version, feature),
                    FOREIGN KEY (service, version) REFERENCES baselines (service, version)
                );

                CREATE TABLE monitor_windows (
                    service    text        NOT NULL,
                    version    integer     NOT NULL,
                    arm        text        NOT NULL,
                    resolution text        NOT NULL,
                    start      timestamptz NOT NULL,
                    summary    text        NOT NULL,
                    PRIMARY KEY (service, version, arm, resolution, start)
                );
                CREATE INDEX monitor_windows_service ON monitor_windows (service, resolution, start);
                CREATE INDEX monitor_windows_start ON monitor_windows (resolution, start);

                CREATE TABLE alerts (
                    id                     text             NOT NULL PRIMARY KEY,
                    service                text             NOT NULL,
                    version                integer          NOT NULL,
                    arm                    text             NOT NULL,
                    monitor                text             NOT NULL,
                    subject                text             NOT NULL,
                    state                  text             NOT NULL,
                    severity               text             NOT NULL,
                    layer                  text             NOT NULL,
                    active_at              timestamptz,
                    first_bad_window_start timestamptz,
                    fired_at               timestamptz,
                    last_held_at           timestamptz,
                    resolved_at            timestamptz,
                    value                  double precision,
                    threshold              double precision NOT NULL,
                    time_to_detect_seconds double precision,
                    summary                text,
                    inhibited              boolean          NOT NULL,
                    ack_by                 text,
                    ack_at                 timestamptz,
                    ack_reason             text,
                    revision               bigint           NOT NULL,
                    updated_at             timestamptz      NOT NULL
                );
                CREATE INDEX alerts_service ON alerts (service, state);

                CREATE TABLE silences (
                    id         text        NOT NULL PRIMARY KEY,
                    service    text,
                    monitor    text,
                    subject    text,
                    starts_at  timestamptz NOT NULL,
                    ends_at    timestamptz NOT NULL,
                    created_by text        NOT NULL,
                    comment    text        NOT NULL,
                    created_at timestamptz NOT NULL,
                    expired_by text
                );
                CREATE INDEX silences_ends_at ON silences (ends_at);
                """),
        new(8, "retraining policies, jobs and evaluations",
            Sqlite: """
                CREATE TABLE retraining_policies (
                    service    TEXT    NOT NULL PRIMARY KEY REFERENCES services (name),
                    definition TEXT    NOT NULL,
                    revision   INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );

                CREATE TABLE retrain_jobs (
                    id          TEXT    NOT NULL PRIMARY KEY,
                    service     TEXT    NOT NULL REFERENCES services (name),
                    status      TEXT    NOT NULL,
                    active      INTEGER NOT NULL,
                    cause       TEXT    NOT NULL,
                    trainer     TEXT    NOT NULL,
                    attempt     INTEGER NOT NULL,
                    coalesced   INTEGER NOT NULL,
                    version     INTEGER,
                    error       TEXT,
                    details     TEXT,
                    log         TEXT    NOT NULL,
                    revision    INTEGER NOT NULL,
                    created_at  INTEGER NOT NULL,
                    started_at  INTEGER,
                    finished_at INTEGER
                );
                CREATE UNIQUE INDEX retrain_jobs_one_active ON retrain_jobs (service) WHERE active = 1;
                CREATE INDEX retrain_jobs_service ON retrain_jobs (service, created_at);

                CREATE TABLE evaluations (
                    service    TEXT    NOT NULL,
                    version    INTEGER NOT NULL,
                    passed     INTEGER NOT NULL,
                    report     TEXT    NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (service, version),
                    FOREIGN KEY (service, version) REFERENCES model_versions (service, number)
                );
                """,
            Postgres: """
                CREATE TABLE retraining_policies (
                    service    text        NOT NULL PRIMARY KEY REFERENCES services (name),
                    definition text        NOT NULL,
                    revision   bigint      NOT NULL,
                    updated_at timestamptz NOT NULL
                );

                CREATE TABLE retrain_jobs (
                    id          text        NOT NULL PRIMARY KEY,
                    service     text        NOT NULL REFERENCES services (name),
                    status      text        NOT NULL,
                    active      boolean     NOT NULL,
                    cause       text        NOT NULL,
                    trainer     text        NOT NULL,
                    attempt     integer     NOT NULL,
                    coalesced   integer     NOT NULL,
                    version     integer,
                    error       text,
                    details     text,
                    log         text        NOT NULL,
                    revision    bigint      NOT NULL,
                    created_at  timestamptz NOT NULL,
                    started_at  timestamptz,
                    finished_at timestamptz
                );
                CREATE UNIQUE INDEX retrain_jobs_one_active ON retrain_jobs (service) WHERE active;
                CREATE INDEX retrain_jobs_service ON retrain_jobs (service, created_at);

                CREATE TABLE evaluations (
                    service    text        NOT NULL,
                    version    integer     NOT NULL,
                    passed     boolean     NOT NULL,
                    report     text        NOT NULL,
                    created_at timestamptz NOT NULL,
                    PRIMARY KEY (service, version),
                    FOREIGN KEY (service, version) REFERENCES model_versions (service, number)
                );
                """),
        new(9, "monitoring settings per service and business metrics",
            Sqlite: """
                CREATE TABLE monitoring_settings (
                    service    TEXT    NOT NULL PRIMARY KEY REFERENCES services (name),
                    definition TEXT    NOT NULL,
                    revision   INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );

                CREATE TABLE business_metrics (
                    id      INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
                    name    TEXT    NOT NULL,
                    value   REAL    NOT NULL,
                    at      INTEGER NOT NULL,
                    service TEXT    REFERENCES services (name),
                    version INTEGER,
                    arm     TEXT,
                    segment TEXT
                );
                CREATE INDEX business_metrics_name_at ON business_metrics (name, at);
                CREATE INDEX business_metrics_service_at ON business_metrics (service, at);
                """,
            Postgres: """
                CREATE TABLE monitoring_settings (
                    service    text        NOT NULL PRIMARY KEY REFERENCES services (name),
                    definition text        NOT NULL,
                    revision   bigint      NOT NULL,
                    updated_at timestamptz NOT NULL
                );

                CREATE TABLE business_metrics (
                    id      bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    name    text             NOT NULL,
                    value   double precision NOT NULL,
                    at      timestamptz      NOT NULL,
                    service text             REFERENCES services (name),
                    version integer,
                    arm     text,
                    segment text
                );
                CREATE INDEX business_metrics_name_at ON business_metrics (name, at);
                CREATE INDEX business_metrics_service_at ON business_metrics (service, at);
                """),
    ];

    /// <summary>The highest step this Vigil knows.</summary>
    public static int Latest => All[^1].Version;
}
