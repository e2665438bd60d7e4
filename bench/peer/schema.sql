-- The peer's copy of Coursegate's two tables (datasources/sql/migrations.py), with the same
-- keys, and the derived fields Coursegate computes as PostGraphile computed columns.
CREATE TABLE typing_courses (
    id bigint PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    title text NOT NULL,
    description text NOT NULL,
    category text NOT NULL,
    difficulty text NOT NULL,
    language text NOT NULL,
    tags text NOT NULL,
    price_paise bigint NOT NULL,
    currency char(3) NOT NULL,
    validity_days int,
    is_active boolean NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX ix_typing_courses_category ON typing_courses (category);
CREATE INDEX ix_typing_courses_active_created ON typing_courses (is_active, created_at);

CREATE TABLE user_typing_courses (
    id bigint PRIMARY KEY,
    user_id bigint NOT NULL,
    typing_course_id bigint NOT NULL REFERENCES typing_courses (id),
    enrolled_at timestamptz NOT NULL,
    expires_at timestamptz,
    status text NOT NULL,
    source text NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (user_id, typing_course_id)
);
CREATE INDEX ix_utc_user_enrolled ON user_typing_courses (user_id, enrolled_at DESC);
CREATE INDEX ix_utc_expires ON user_typing_courses (expires_at);
CREATE INDEX ix_utc_course ON user_typing_courses (typing_course_id);

CREATE FUNCTION typing_courses_is_free(c typing_courses) RETURNS boolean
    LANGUAGE sql STABLE AS $$ SELECT c.price_paise = 0 $$;

CREATE FUNCTION user_typing_courses_state(s user_typing_courses) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN s.status IN ('cancelled', 'refunded') THEN upper(s.status)
        WHEN s.status = 'active' AND (s.expires_at IS NULL OR s.expires_at > now()) THEN 'ACTIVE'
        ELSE 'EXPIRED'
    END $$;

CREATE FUNCTION user_typing_courses_days_left(s user_typing_courses) RETURNS int
    LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN NOT (s.status = 'active' AND (s.expires_at IS NULL OR s.expires_at > now())) THEN 0
        WHEN s.expires_at IS NULL THEN NULL
        ELSE floor(extract(epoch FROM s.expires_at - now()) / 86400)::int
    END $$;
