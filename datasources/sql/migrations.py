"""Versioned, idempotent schema migrations for the catalog database and every shard.

Each migration names its statements per dialect; `schema_migrations` records what ran.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

from datasources.sql.engine import Dialect, SqlEngine


class Role(enum.StrEnum):
    CATALOG = "catalog"
    SHARD = "shard"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sqlite: tuple[str, ...]
    mysql: tuple[str, ...]

    def statements(self, dialect: Dialect) -> tuple[str, ...]:
        return self.sqlite if dialect is Dialect.SQLITE else self.mysql


_MYSQL_TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"

# The same outbox on the catalog (course changes) and on every shard (subscription and order
# changes); the relay drains them all.
_EVENT_OUTBOX_SQLITE = """CREATE TABLE IF NOT EXISTS event_outbox (
    id INTEGER NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL)"""
_EVENT_OUTBOX_MYSQL = f"""CREATE TABLE IF NOT EXISTS event_outbox (
    id BIGINT NOT NULL PRIMARY KEY,
    kind VARCHAR(48) NOT NULL,
    user_id BIGINT NOT NULL,
    payload MEDIUMTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL
) {_MYSQL_TABLE_OPTIONS}"""

CATALOG_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "typing_courses and the search outbox",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS typing_courses (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                slug TEXT NOT NULL UNIQUE,
                title TEXT NOT NULL,
                description TEXT NOT NULL,
                category TEXT NOT NULL,
                difficulty TEXT NOT NULL,
                language TEXT NOT NULL,
                tags TEXT NOT NULL DEFAULT '',
                price_paise INTEGER NOT NULL CHECK (price_paise >= 0),
                currency TEXT NOT NULL,
                validity_days INTEGER NULL,
                is_active INTEGER NOT NULL DEFAULT 1,
                created_at TIMESTAMP NOT NULL,
                updated_at TIMESTAMP NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS ix_typing_courses_category ON typing_courses (category)",
            """CREATE INDEX IF NOT EXISTS ix_typing_courses_active_created
                ON typing_courses (is_active, created_at)""",
            """CREATE TABLE IF NOT EXISTS course_outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                course_id INTEGER NOT NULL,
                created_at TIMESTAMP NOT NULL)""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS typing_courses (
                id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
                slug VARCHAR(120) NOT NULL,
                title VARCHAR(200) NOT NULL,
                description TEXT NOT NULL,
                category VARCHAR(32) NOT NULL,
                difficulty VARCHAR(16) NOT NULL,
                language VARCHAR(8) NOT NULL,
                tags VARCHAR(1000) NOT NULL DEFAULT '',
                price_paise BIGINT NOT NULL,
                currency CHAR(3) NOT NULL,
                validity_days INT NULL,
                is_active TINYINT(1) NOT NULL DEFAULT 1,
                created_at DATETIME(6) NOT NULL,
                updated_at DATETIME(6) NOT NULL,
                UNIQUE KEY uq_typing_courses_slug (slug),
                KEY ix_typing_courses_category (category),
                KEY ix_typing_courses_active_created (is_active, created_at),
                CONSTRAINT ck_typing_courses_price CHECK (price_paise >= 0)
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS course_outbox (
                id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
                course_id BIGINT NOT NULL,
                created_at DATETIME(6) NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        2,
        "payment_order_index: which user (and so which shard) a provider order belongs to",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS payment_order_index (
                provider_order_id TEXT NOT NULL PRIMARY KEY,
                user_id INTEGER NOT NULL,
                created_at TIMESTAMP NOT NULL)""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS payment_order_index (
                provider_order_id VARCHAR(64) NOT NULL PRIMARY KEY,
                user_id BIGINT NOT NULL,
                created_at DATETIME(6) NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        3,
        "search outbox claims (lease per indexer run)",
        sqlite=(
            "ALTER TABLE course_outbox ADD COLUMN claim_token TEXT NULL",
            "ALTER TABLE course_outbox ADD COLUMN claimed_until TIMESTAMP NULL",
            "CREATE INDEX IF NOT EXISTS ix_course_outbox_claim ON course_outbox (claim_token)",
        ),
        mysql=(
            "ALTER TABLE course_outbox ADD COLUMN IF NOT EXISTS claim_token VARCHAR(32) NULL,"
            " ADD COLUMN IF NOT EXISTS claimed_until DATETIME(6) NULL,"
            " ADD INDEX IF NOT EXISTS ix_course_outbox_claim (claim_token)",
        ),
    ),
    Migration(
        4,
        "lifecycle_jobs: admin bulk jobs over subscriptions, with per-shard progress",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS lifecycle_jobs (
                id INTEGER NOT NULL PRIMARY KEY,
                kind TEXT NOT NULL,
                params TEXT NOT NULL,
                state TEXT NOT NULL,
                shard_progress TEXT NOT NULL,
                processed INTEGER NOT NULL DEFAULT 0,
                total INTEGER NULL,
                error TEXT NULL,
                claim_token TEXT NULL,
                claimed_until TIMESTAMP NULL,
                created_at TIMESTAMP NOT NULL,
                updated_at TIMESTAMP NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS ix_lifecycle_jobs_state ON lifecycle_jobs (state, id)",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS lifecycle_jobs (
                id BIGINT NOT NULL PRIMARY KEY,
                kind VARCHAR(32) NOT NULL,
                params MEDIUMTEXT NOT NULL,
                state VARCHAR(16) NOT NULL,
                shard_progress TEXT NOT NULL,
                processed BIGINT NOT NULL DEFAULT 0,
                total BIGINT NULL,
                error VARCHAR(500) NULL,
                claim_token VARCHAR(32) NULL,
                claimed_until DATETIME(6) NULL,
                created_at DATETIME(6) NOT NULL,
                updated_at DATETIME(6) NOT NULL,
                KEY ix_lifecycle_jobs_state (state, id)
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        5,
        "event_log and event_consumers: the embedded default's event log (production: JetStream)",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS event_log (
                position INTEGER PRIMARY KEY AUTOINCREMENT,
                event_id INTEGER NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                payload TEXT NOT NULL,
                appended_at TIMESTAMP NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS ix_event_log_kind ON event_log (kind, position)",
            """CREATE TABLE IF NOT EXISTS event_consumers (
                name TEXT NOT NULL PRIMARY KEY,
                acked_position INTEGER NOT NULL,
                updated_at TIMESTAMP NOT NULL)""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS event_log (
                position BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
                event_id BIGINT NOT NULL,
                kind VARCHAR(48) NOT NULL,
                payload MEDIUMTEXT NOT NULL,
                appended_at DATETIME(6) NOT NULL,
                UNIQUE KEY uq_event_log_event (event_id),
                KEY ix_event_log_kind (kind, position)
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS event_consumers (
                name VARCHAR(64) NOT NULL PRIMARY KEY,
                acked_position BIGINT NOT NULL,
                updated_at DATETIME(6) NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        6,
        "course_activity (popularity kept from events), consumer_applied_events, consumer_marks",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS course_activity (
                course_id INTEGER NOT NULL,
                expires_day TEXT NOT NULL,
                subscriptions INTEGER NOT NULL,
                PRIMARY KEY (course_id, expires_day))""",
            """CREATE INDEX IF NOT EXISTS ix_course_activity_day
                ON course_activity (expires_day)""",
            """CREATE TABLE IF NOT EXISTS consumer_applied_events (
                consumer TEXT NOT NULL,
                event_id INTEGER NOT NULL,
                applied_at TIMESTAMP NOT NULL,
                PRIMARY KEY (consumer, event_id))""",
            """CREATE INDEX IF NOT EXISTS ix_consumer_applied_at
                ON consumer_applied_events (applied_at)""",
            """CREATE TABLE IF NOT EXISTS consumer_marks (
                consumer TEXT NOT NULL PRIMARY KEY,
                counted_before INTEGER NOT NULL,
                rebuilt_at TIMESTAMP NOT NULL)""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS course_activity (
                course_id BIGINT NOT NULL,
                expires_day DATE NOT NULL,
                subscriptions BIGINT NOT NULL,
                PRIMARY KEY (course_id, expires_day),
                KEY ix_course_activity_day (expires_day)
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS consumer_applied_events (
                consumer VARCHAR(64) NOT NULL,
                event_id BIGINT NOT NULL,
                applied_at DATETIME(6) NOT NULL,
                PRIMARY KEY (consumer, event_id),
                KEY ix_consumer_applied_at (applied_at)
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS consumer_marks (
                consumer VARCHAR(64) NOT NULL PRIMARY KEY,
                counted_before BIGINT NOT NULL,
                rebuilt_at DATETIME(6) NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        7,
        "event_outbox on the catalog: course changes reach the search indexer through the log",
        # course_outbox stays for rows an older version left; `coursegate reindex` covers them.
        sqlite=(_EVENT_OUTBOX_SQLITE,),
        mysql=(_EVENT_OUTBOX_MYSQL,),
    ),
    Migration(
        8,
        "event_log_lock: publishes to the table log commit in the order of their positions",
        sqlite=(
            "CREATE TABLE IF NOT EXISTS event_log_lock (id INTEGER NOT NULL PRIMARY KEY)",
            "INSERT OR IGNORE INTO event_log_lock (id) VALUES (1)",
        ),
        mysql=(
            f"CREATE TABLE IF NOT EXISTS event_log_lock (id INT NOT NULL PRIMARY KEY)"
            f" {_MYSQL_TABLE_OPTIONS}",
            "INSERT IGNORE INTO event_log_lock (id) VALUES (1)",
        ),
    ),
    Migration(
        9,
        "analytics_points (series without InfluxDB), analytics_flows (the consumer's day counts),"
        " analytics_reconciliations",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS analytics_points (
                measurement TEXT NOT NULL,
                scope TEXT NOT NULL,
                series_key TEXT NOT NULL,
                time INTEGER NOT NULL,
                value INTEGER NOT NULL,
                PRIMARY KEY (measurement, scope, series_key, time))""",
            """CREATE TABLE IF NOT EXISTS analytics_flows (
                day TEXT NOT NULL,
                course_id INTEGER NOT NULL,
                measurement TEXT NOT NULL,
                value INTEGER NOT NULL,
                unexported INTEGER NOT NULL,
                PRIMARY KEY (day, course_id, measurement))""",
            """CREATE INDEX IF NOT EXISTS ix_analytics_flows_unexported
                ON analytics_flows (unexported, day)""",
            """CREATE TABLE IF NOT EXISTS analytics_reconciliations (
                day TEXT NOT NULL PRIMARY KEY,
                corrected INTEGER NOT NULL,
                reconciled_at TIMESTAMP NOT NULL)""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS analytics_points (
                measurement VARCHAR(32) NOT NULL,
                scope VARCHAR(16) NOT NULL,
                series_key VARCHAR(64) NOT NULL,
                time BIGINT NOT NULL,
                value BIGINT NOT NULL,
                PRIMARY KEY (measurement, scope, series_key, time)
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS analytics_flows (
                day DATE NOT NULL,
                course_id BIGINT NOT NULL,
                measurement VARCHAR(32) NOT NULL,
                value BIGINT NOT NULL,
                unexported TINYINT NOT NULL,
                PRIMARY KEY (day, course_id, measurement),
                KEY ix_analytics_flows_unexported (unexported, day)
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS analytics_reconciliations (
                day DATE NOT NULL PRIMARY KEY,
                corrected BIGINT NOT NULL,
                reconciled_at DATETIME(6) NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        10,
        "course_lessons and lesson_exercises (a course's content; media are objects in storage)",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS course_lessons (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                course_id INTEGER NOT NULL,
                position INTEGER NOT NULL,
                title TEXT NOT NULL,
                kind TEXT NOT NULL,
                duration_seconds INTEGER NOT NULL,
                is_preview INTEGER NOT NULL,
                updated_at TIMESTAMP NOT NULL)""",
            """CREATE INDEX IF NOT EXISTS ix_course_lessons_course
                ON course_lessons (course_id, position)""",
            """CREATE TABLE IF NOT EXISTS lesson_exercises (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                lesson_id INTEGER NOT NULL,
                position INTEGER NOT NULL,
                text TEXT NOT NULL,
                language TEXT NOT NULL,
                keyboard_layout TEXT NOT NULL,
                target_wpm INTEGER NOT NULL,
                target_accuracy REAL NOT NULL)""",
            """CREATE INDEX IF NOT EXISTS ix_lesson_exercises_lesson
                ON lesson_exercises (lesson_id, position)""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS course_lessons (
                id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
                course_id BIGINT NOT NULL,
                position INT NOT NULL,
                title VARCHAR(200) NOT NULL,
                kind VARCHAR(16) NOT NULL,
                duration_seconds INT NOT NULL,
                is_preview TINYINT(1) NOT NULL,
                updated_at DATETIME(6) NOT NULL,
                KEY ix_course_lessons_course (course_id, position)
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS lesson_exercises (
                id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
                lesson_id BIGINT NOT NULL,
                position INT NOT NULL,
                text TEXT NOT NULL,
                language VARCHAR(8) NOT NULL,
                keyboard_layout VARCHAR(32) NOT NULL,
                target_wpm INT NOT NULL,
                target_accuracy DOUBLE NOT NULL,
                KEY ix_lesson_exercises_lesson (lesson_id, position)
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        11,
        "content_assets (checked media objects of lessons, and course covers)",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS content_assets (
                id INTEGER NOT NULL PRIMARY KEY,
                course_id INTEGER NOT NULL,
                lesson_id INTEGER NULL,
                kind TEXT NOT NULL,
                content_type TEXT NOT NULL,
                bytes INTEGER NOT NULL,
                object_key TEXT NOT NULL,
                width INTEGER NULL,
                height INTEGER NULL,
                variants TEXT NOT NULL,
                created_at TIMESTAMP NOT NULL)""",
            "CREATE INDEX IF NOT EXISTS ix_content_assets_lesson ON content_assets (lesson_id)",
            """CREATE INDEX IF NOT EXISTS ix_content_assets_course
                ON content_assets (course_id, lesson_id)""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS content_assets (
                id BIGINT NOT NULL PRIMARY KEY,
                course_id BIGINT NOT NULL,
                lesson_id BIGINT NULL,
                kind VARCHAR(16) NOT NULL,
                content_type VARCHAR(100) NOT NULL,
                bytes BIGINT NOT NULL,
                object_key VARCHAR(512) NOT NULL,
                width INT NULL,
                height INT NULL,
                variants TEXT NOT NULL,
                created_at DATETIME(6) NOT NULL,
                KEY ix_content_assets_lesson (lesson_id),
                KEY ix_content_assets_course (course_id, lesson_id)
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        12,
        "persisted_queries (documents registered ahead of time, by SHA-256 of their text)",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS persisted_queries (
                sha256 TEXT NOT NULL PRIMARY KEY,
                document TEXT NOT NULL,
                registered_at TIMESTAMP NOT NULL)""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS persisted_queries (
                sha256 CHAR(64) NOT NULL PRIMARY KEY,
                document MEDIUMTEXT NOT NULL,
                registered_at DATETIME(6) NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        13,
        "recommendation models (versions, per-course neighbours, popularity lists)",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS recommendation_models (
                version INTEGER NOT NULL PRIMARY KEY,
                state TEXT NOT NULL,
                started_at TIMESTAMP NOT NULL,
                built_at TIMESTAMP NULL,
                users INTEGER NOT NULL,
                subscriptions INTEGER NOT NULL,
                blend_weight REAL NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS recommendation_neighbours (
                version INTEGER NOT NULL,
                course_id INTEGER NOT NULL,
                neighbours TEXT NOT NULL,
                PRIMARY KEY (version, course_id))""",
            """CREATE TABLE IF NOT EXISTS recommendation_popular (
                version INTEGER NOT NULL,
                scope TEXT NOT NULL,
                courses TEXT NOT NULL,
                PRIMARY KEY (version, scope))""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS recommendation_models (
                version BIGINT NOT NULL PRIMARY KEY,
                state VARCHAR(16) NOT NULL,
                started_at DATETIME(6) NOT NULL,
                built_at DATETIME(6) NULL,
                users BIGINT NOT NULL,
                subscriptions BIGINT NOT NULL,
                blend_weight DOUBLE NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS recommendation_neighbours (
                version BIGINT NOT NULL,
                course_id BIGINT NOT NULL,
                neighbours MEDIUMTEXT NOT NULL,
                PRIMARY KEY (version, course_id)
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS recommendation_popular (
                version BIGINT NOT NULL,
                scope VARCHAR(120) NOT NULL,
                courses MEDIUMTEXT NOT NULL,
                PRIMARY KEY (version, scope)
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        14,
        "bucket map versions, the gateways reading them, and bucket moves",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS bucket_map_versions (
                version INTEGER NOT NULL PRIMARY KEY,
                ranges TEXT NOT NULL,
                move_id INTEGER NULL,
                created_at TIMESTAMP NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS bucket_map_readers (
                reader_id TEXT NOT NULL PRIMARY KEY,
                version INTEGER NOT NULL,
                seen_at TIMESTAMP NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS bucket_moves (
                id INTEGER NOT NULL PRIMARY KEY,
                first_bucket INTEGER NOT NULL,
                last_bucket INTEGER NOT NULL,
                source_shard INTEGER NOT NULL,
                target_shard INTEGER NOT NULL,
                step TEXT NOT NULL,
                rows_copied INTEGER NOT NULL,
                copy_seconds REAL NOT NULL,
                fence_seconds REAL NULL,
                fenced_at TIMESTAMP NULL,
                started_at TIMESTAMP NOT NULL,
                updated_at TIMESTAMP NOT NULL)""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS bucket_map_versions (
                version BIGINT NOT NULL PRIMARY KEY,
                ranges TEXT NOT NULL,
                move_id BIGINT NULL,
                created_at DATETIME(6) NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS bucket_map_readers (
                reader_id VARCHAR(96) NOT NULL PRIMARY KEY,
                version BIGINT NOT NULL,
                seen_at DATETIME(6) NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS bucket_moves (
                id BIGINT NOT NULL PRIMARY KEY,
                first_bucket INT NOT NULL,
                last_bucket INT NOT NULL,
                source_shard INT NOT NULL,
                target_shard INT NOT NULL,
                step VARCHAR(16) NOT NULL,
                rows_copied BIGINT NOT NULL,
                copy_seconds DOUBLE NOT NULL,
                fence_seconds DOUBLE NULL,
                fenced_at DATETIME(6) NULL,
                started_at DATETIME(6) NOT NULL,
                updated_at DATETIME(6) NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        15,
        "the catalog version and the one each course last changed in, for in-process snapshots",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS catalog_version (
                id INTEGER NOT NULL PRIMARY KEY,
                version INTEGER NOT NULL)""",
            "INSERT OR IGNORE INTO catalog_version (id, version) VALUES (1, 1)",
            "ALTER TABLE typing_courses ADD COLUMN changed_in INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX IF NOT EXISTS ix_typing_courses_changed_in"
            " ON typing_courses (changed_in)",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS catalog_version (
                id TINYINT NOT NULL PRIMARY KEY,
                version BIGINT NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
            "INSERT IGNORE INTO catalog_version (id, version) VALUES (1, 1)",
            "ALTER TABLE typing_courses ADD COLUMN IF NOT EXISTS changed_in BIGINT NOT NULL"
            " DEFAULT 0, ADD INDEX IF NOT EXISTS ix_typing_courses_changed_in (changed_in)",
        ),
    ),
)

SHARD_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "user_typing_courses",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS user_typing_courses (
                id INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                typing_course_id INTEGER NOT NULL,
                enrolled_at TIMESTAMP NOT NULL,
                expires_at TIMESTAMP NULL,
                status TEXT NOT NULL,
                source TEXT NOT NULL,
                updated_at TIMESTAMP NOT NULL,
                PRIMARY KEY (user_id, id),
                UNIQUE (user_id, typing_course_id))""",
            """CREATE INDEX IF NOT EXISTS ix_utc_user_enrolled
                ON user_typing_courses (user_id, enrolled_at DESC)""",
            "CREATE INDEX IF NOT EXISTS ix_utc_expires ON user_typing_courses (expires_at)",
            "CREATE INDEX IF NOT EXISTS ix_utc_course ON user_typing_courses (typing_course_id)",
        ),
        mysql=(
            # Partitioned by user inside the shard; every unique key includes user_id.
            f"""CREATE TABLE IF NOT EXISTS user_typing_courses (
                id BIGINT NOT NULL,
                user_id BIGINT NOT NULL,
                typing_course_id BIGINT NOT NULL,
                enrolled_at DATETIME(6) NOT NULL,
                expires_at DATETIME(6) NULL,
                status VARCHAR(16) NOT NULL,
                source VARCHAR(64) NOT NULL,
                updated_at DATETIME(6) NOT NULL,
                PRIMARY KEY (user_id, id),
                UNIQUE KEY uq_utc_user_course (user_id, typing_course_id),
                KEY ix_utc_user_enrolled (user_id, enrolled_at DESC),
                KEY ix_utc_expires (expires_at),
                KEY ix_utc_course (typing_course_id)
            ) {_MYSQL_TABLE_OPTIONS} PARTITION BY HASH(user_id) PARTITIONS 16""",
        ),
    ),
    Migration(
        2,
        "payment_orders and payment_events",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS payment_orders (
                id INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                course_id INTEGER NOT NULL,
                provider_order_id TEXT NOT NULL UNIQUE,
                idempotency_key TEXT NOT NULL,
                amount_paise INTEGER NOT NULL,
                currency TEXT NOT NULL,
                receipt TEXT NOT NULL,
                state TEXT NOT NULL,
                settled_payment_id TEXT NULL,
                created_at TIMESTAMP NOT NULL,
                updated_at TIMESTAMP NOT NULL,
                PRIMARY KEY (user_id, id),
                UNIQUE (user_id, idempotency_key))""",
            """CREATE INDEX IF NOT EXISTS ix_payment_orders_state_created
                ON payment_orders (state, created_at)""",
            """CREATE TABLE IF NOT EXISTS payment_events (
                id INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                order_id INTEGER NOT NULL,
                provider_event_id TEXT NULL UNIQUE,
                payment_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                source TEXT NOT NULL,
                created_at TIMESTAMP NOT NULL,
                PRIMARY KEY (user_id, id),
                UNIQUE (payment_id, kind))""",
        ),
        mysql=(
            # Not partitioned: the provider ids are unique keys without user_id.
            f"""CREATE TABLE IF NOT EXISTS payment_orders (
                id BIGINT NOT NULL,
                user_id BIGINT NOT NULL,
                course_id BIGINT NOT NULL,
                provider_order_id VARCHAR(64) NOT NULL,
                idempotency_key VARCHAR(64) NOT NULL,
                amount_paise BIGINT NOT NULL,
                currency CHAR(3) NOT NULL,
                receipt VARCHAR(40) NOT NULL,
                state VARCHAR(16) NOT NULL,
                settled_payment_id VARCHAR(64) NULL,
                created_at DATETIME(6) NOT NULL,
                updated_at DATETIME(6) NOT NULL,
                PRIMARY KEY (user_id, id),
                UNIQUE KEY uq_payment_orders_provider (provider_order_id),
                UNIQUE KEY uq_payment_orders_key (user_id, idempotency_key),
                KEY ix_payment_orders_state_created (state, created_at)
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS payment_events (
                id BIGINT NOT NULL,
                user_id BIGINT NOT NULL,
                order_id BIGINT NOT NULL,
                provider_event_id VARCHAR(64) NULL,
                payment_id VARCHAR(64) NOT NULL,
                kind VARCHAR(32) NOT NULL,
                source VARCHAR(16) NOT NULL,
                created_at DATETIME(6) NOT NULL,
                PRIMARY KEY (user_id, id),
                UNIQUE KEY uq_payment_events_event (provider_event_id),
                UNIQUE KEY uq_payment_events_payment_kind (payment_id, kind)
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        3,
        "lifecycle_job_progress (a job's cursor on this shard) and a course-ordered index",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS lifecycle_job_progress (
                job_id INTEGER NOT NULL PRIMARY KEY,
                last_key INTEGER NOT NULL,
                processed INTEGER NOT NULL,
                changed INTEGER NOT NULL,
                finished INTEGER NOT NULL,
                updated_at TIMESTAMP NOT NULL)""",
            """CREATE INDEX IF NOT EXISTS ix_utc_course_id
                ON user_typing_courses (typing_course_id, id)""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS lifecycle_job_progress (
                job_id BIGINT NOT NULL PRIMARY KEY,
                last_key BIGINT NOT NULL,
                processed BIGINT NOT NULL,
                changed BIGINT NOT NULL,
                finished TINYINT(1) NOT NULL,
                updated_at DATETIME(6) NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
            "ALTER TABLE user_typing_courses"
            " ADD INDEX IF NOT EXISTS ix_utc_course_id (typing_course_id, id)",
        ),
    ),
    Migration(
        4,
        "checkout_reservations (an idempotency key being turned into a provider order)",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS checkout_reservations (
                user_id INTEGER NOT NULL,
                idempotency_key TEXT NOT NULL,
                reserved_at TIMESTAMP NOT NULL,
                PRIMARY KEY (user_id, idempotency_key))""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS checkout_reservations (
                user_id BIGINT NOT NULL,
                idempotency_key VARCHAR(64) NOT NULL,
                reserved_at DATETIME(6) NOT NULL,
                PRIMARY KEY (user_id, idempotency_key)
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        5,
        "user_typing_courses.kept_days (renewal and extension days a validity change keeps)",
        sqlite=("ALTER TABLE user_typing_courses ADD COLUMN kept_days INTEGER NOT NULL DEFAULT 0",),
        mysql=(
            # An instant ADD COLUMN in MariaDB 10.3+: no table rebuild at 60 M rows.
            "ALTER TABLE user_typing_courses"
            " ADD COLUMN IF NOT EXISTS kept_days INT NOT NULL DEFAULT 0",
        ),
    ),
    Migration(
        6,
        "order_refunds (every refund of an order's payment: who asked, why, how it was learnt)",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS order_refunds (
                id INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                order_id INTEGER NOT NULL,
                refund_id TEXT NOT NULL UNIQUE,
                payment_id TEXT NOT NULL,
                amount_paise INTEGER NOT NULL,
                currency TEXT NOT NULL,
                reason TEXT NULL,
                requested_by INTEGER NULL,
                source TEXT NOT NULL,
                refunded_at TIMESTAMP NOT NULL,
                recorded_at TIMESTAMP NOT NULL,
                PRIMARY KEY (user_id, id))""",
        ),
        mysql=(
            # Not partitioned: refund_id is a unique key without user_id.
            f"""CREATE TABLE IF NOT EXISTS order_refunds (
                id BIGINT NOT NULL,
                user_id BIGINT NOT NULL,
                order_id BIGINT NOT NULL,
                refund_id VARCHAR(64) NOT NULL,
                payment_id VARCHAR(64) NOT NULL,
                amount_paise BIGINT NOT NULL,
                currency CHAR(3) NOT NULL,
                reason VARCHAR(256) NULL,
                requested_by BIGINT NULL,
                source VARCHAR(16) NOT NULL,
                refunded_at DATETIME(6) NOT NULL,
                recorded_at DATETIME(6) NOT NULL,
                PRIMARY KEY (user_id, id),
                UNIQUE KEY uq_order_refunds_refund (refund_id),
                KEY ix_order_refunds_order (user_id, order_id)
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        7,
        "event_outbox (subscription and order changes for the relay, same transaction)",
        sqlite=(_EVENT_OUTBOX_SQLITE,),
        mysql=(_EVENT_OUTBOX_MYSQL,),
    ),
    Migration(
        8,
        "exercise_results (every submitted result) and exercise_standings (per user and exercise)",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS exercise_results (
                id INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                course_id INTEGER NOT NULL,
                lesson_id INTEGER NOT NULL,
                exercise_id INTEGER NOT NULL,
                wpm REAL NOT NULL,
                accuracy REAL NOT NULL,
                duration_ms INTEGER NOT NULL,
                passed INTEGER NOT NULL,
                submitted_at TIMESTAMP NOT NULL,
                PRIMARY KEY (user_id, id))""",
            """CREATE TABLE IF NOT EXISTS exercise_standings (
                user_id INTEGER NOT NULL,
                exercise_id INTEGER NOT NULL,
                course_id INTEGER NOT NULL,
                lesson_id INTEGER NOT NULL,
                attempts INTEGER NOT NULL,
                best_wpm REAL NOT NULL,
                accuracy_sum REAL NOT NULL,
                passed INTEGER NOT NULL,
                last_submitted_at TIMESTAMP NOT NULL,
                PRIMARY KEY (user_id, exercise_id))""",
            """CREATE INDEX IF NOT EXISTS ix_exercise_standings_course
                ON exercise_standings (user_id, course_id)""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS exercise_results (
                id BIGINT NOT NULL,
                user_id BIGINT NOT NULL,
                course_id BIGINT NOT NULL,
                lesson_id BIGINT NOT NULL,
                exercise_id BIGINT NOT NULL,
                wpm DOUBLE NOT NULL,
                accuracy DOUBLE NOT NULL,
                duration_ms INT NOT NULL,
                passed TINYINT(1) NOT NULL,
                submitted_at DATETIME(6) NOT NULL,
                PRIMARY KEY (user_id, id)
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS exercise_standings (
                user_id BIGINT NOT NULL,
                exercise_id BIGINT NOT NULL,
                course_id BIGINT NOT NULL,
                lesson_id BIGINT NOT NULL,
                attempts INT NOT NULL,
                best_wpm DOUBLE NOT NULL,
                accuracy_sum DOUBLE NOT NULL,
                passed TINYINT(1) NOT NULL,
                last_submitted_at DATETIME(6) NOT NULL,
                PRIMARY KEY (user_id, exercise_id),
                KEY ix_exercise_standings_course (user_id, course_id)
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
    Migration(
        9,
        "shard_buckets (a bucket moving in or out: writers check it) and bucket_move_dirty"
        " (the users written while their bucket was being copied)",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS shard_buckets (
                bucket INTEGER NOT NULL PRIMARY KEY,
                state TEXT NOT NULL,
                updated_at TIMESTAMP NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS bucket_move_dirty (
                user_id INTEGER NOT NULL PRIMARY KEY,
                bucket INTEGER NOT NULL,
                generation INTEGER NOT NULL)""",
        ),
        mysql=(
            f"""CREATE TABLE IF NOT EXISTS shard_buckets (
                bucket INT NOT NULL PRIMARY KEY,
                state VARCHAR(16) NOT NULL,
                updated_at DATETIME(6) NOT NULL
            ) {_MYSQL_TABLE_OPTIONS}""",
            f"""CREATE TABLE IF NOT EXISTS bucket_move_dirty (
                user_id BIGINT NOT NULL PRIMARY KEY,
                bucket INT NOT NULL,
                generation BIGINT NOT NULL,
                KEY ix_bucket_move_dirty_bucket (bucket)
            ) {_MYSQL_TABLE_OPTIONS}""",
        ),
    ),
)

MIGRATIONS_BY_ROLE = {Role.CATALOG: CATALOG_MIGRATIONS, Role.SHARD: SHARD_MIGRATIONS}

_VERSION_TABLE = {
    Dialect.SQLITE: """CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)""",
    Dialect.MYSQL: f"""CREATE TABLE IF NOT EXISTS schema_migrations (
        version INT NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL,
        applied_at DATETIME(6) NOT NULL) {_MYSQL_TABLE_OPTIONS}""",
}


async def applied_versions(engine: SqlEngine) -> set[int]:
    await engine.execute(_VERSION_TABLE[engine.dialect])
    rows = await engine.fetch_all("SELECT version FROM schema_migrations")
    return {int(row[0]) for row in rows}


async def migrate(engine: SqlEngine, role: Role) -> list[int]:
    """Applies what is missing, in order; returns the versions applied now."""
    done = await applied_versions(engine)
    applied: list[int] = []
    for migration in MIGRATIONS_BY_ROLE[role]:
        if migration.version in done:
            continue
        # MySQL DDL commits implicitly, so each statement is idempotent on its own
        # (IF NOT EXISTS) and the version row is written last.
        for statement in migration.statements(engine.dialect):
            await engine.execute(statement)
        await engine.execute(
            f"{engine.dialect.insert_ignore} INTO schema_migrations (version, name, applied_at)"
            " VALUES (?, ?, ?)",
            (migration.version, migration.name, datetime.now(UTC)),
        )
        applied.append(migration.version)
    return applied
