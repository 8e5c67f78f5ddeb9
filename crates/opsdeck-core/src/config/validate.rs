//! Validation of the check types beyond `http`: what serde cannot say about a value alone.

use std::collections::HashMap;
use std::time::Duration;

use toml::de::DeTable;

use super::locate::{self, Seg};
use super::{
    BeatSource, Check, CheckSpec, HeartbeatFileSpec, Loader, PrometheusSpec, PushSpec,
    RabbitmqSpec, SecretRef,
};

/// A glob as `queues`, `exclude`, `per_queue.name` and `dead_letter_queues` take it.
pub fn glob(pattern: &str) -> Result<globset::GlobMatcher, String> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(false)
        // Queue names, not paths: `\*` matches a literal `*` on every system (globset's
        // default differs on Windows, where `\` would be a path separator).
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("`{pattern}` is not a valid glob pattern: {}", e.kind()))
}

impl<'a> Loader<'a> {
    fn at(&self, root: &DeTable<'a>, i: usize, k: &str) -> Option<std::ops::Range<usize>> {
        locate::span(root, &[Seg::Key("check"), Seg::Index(i), Seg::Key(k)])
    }

    /// An `http(s)` URL of a check without a password in it.
    pub(super) fn base_url(&mut self, root: &DeTable<'a>, i: usize, field: &str, url: &str) {
        self.base_url_at(
            self.at(root, i, field),
            Some(format!("check[{i}].{field}")),
            url,
        );
    }

    /// An `http(s)` URL without a password in it. One that cannot be parsed is not repeated in
    /// the message: it may hold a password that could not be told apart from the rest, and the
    /// position already says which one it is.
    pub(super) fn base_url_at(
        &mut self,
        span: Option<std::ops::Range<usize>>,
        key: Option<String>,
        url: &str,
    ) {
        match url::Url::parse(url) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {
                if u.password().is_some() {
                    self.problem(
                        span,
                        key,
                        "the URL carries a password; remove it, and use `username` with `password = { secret = \"NAME\" }`".into(),
                    );
                }
            }
            Ok(u) => self.problem(
                span,
                key,
                format!(
                    "URL scheme `{}` is not supported; use http or https",
                    u.scheme()
                ),
            ),
            Err(e) => self.problem(span, key, format!("not a valid URL: {e}")),
        }
    }

    fn login(
        &mut self,
        root: &DeTable<'a>,
        i: usize,
        username: &Option<String>,
        password: &Option<SecretRef>,
        bearer: &Option<SecretRef>,
    ) {
        if password.is_some() != username.is_some() {
            self.problem(
                locate::span(root, &[Seg::Key("check"), Seg::Index(i)]),
                Some(format!("check[{i}].username")),
                "basic auth needs both `username` and `password`".into(),
            );
        }
        if password.is_some() && bearer.is_some() {
            self.problem(
                self.at(root, i, "bearer_token"),
                Some(format!("check[{i}].bearer_token")),
                "use either basic auth (`username`/`password`) or `bearer_token`, not both".into(),
            );
        }
    }

    fn globs(&mut self, root: &DeTable<'a>, i: usize, field: &str, patterns: &[String]) {
        for p in patterns {
            if let Err(message) = glob(p) {
                self.problem(
                    self.at(root, i, field),
                    Some(format!("check[{i}].{field}")),
                    message,
                );
            }
        }
    }

    pub(super) fn validate_rabbitmq(&mut self, i: usize, r: &RabbitmqSpec, root: &DeTable<'a>) {
        self.base_url(root, i, "url", &r.url);
        for u in &r.fallback_urls {
            self.base_url(root, i, "fallback_urls", u);
        }
        self.login(root, i, &r.username, &r.password, &r.bearer_token);
        if r.password.is_none() && r.bearer_token.is_none() {
            self.problem(
                locate::span(root, &[Seg::Key("check"), Seg::Index(i)]),
                Some(format!("check[{i}].username")),
                "the management API needs a login: `username` with `password = { secret = \"NAME\" }`, or `bearer_token`".into(),
            );
        }
        self.globs(root, i, "queues", &r.queues);
        self.globs(root, i, "exclude", &r.exclude);
        self.globs(root, i, "dead_letter_queues", &r.dead_letter_queues);
        for o in &r.per_queue {
            self.globs(root, i, "per_queue", std::slice::from_ref(&o.name));
        }
        if !(1..=500).contains(&r.page_size) {
            self.problem(
                self.at(root, i, "page_size"),
                Some(format!("check[{i}].page_size")),
                "must be between 1 and 500 (the management API's limit)".into(),
            );
        }
        let stalled = std::iter::once(r.stalled_after)
            .chain(r.per_queue.iter().map(|o| o.stalled_after))
            .flatten();
        for d in stalled {
            if d < Duration::from_secs(1) {
                self.problem(
                    self.at(root, i, "stalled_after"),
                    Some(format!("check[{i}].stalled_after")),
                    "must be at least 1s".into(),
                );
            }
        }
    }

    pub(super) fn validate_heartbeat_file(
        &mut self,
        i: usize,
        f: &HeartbeatFileSpec,
        root: &DeTable<'a>,
    ) {
        if f.path.as_os_str().is_empty() {
            self.problem(
                self.at(root, i, "path"),
                Some(format!("check[{i}].path")),
                "must name a file".into(),
            );
        }
        if f.max_age.is_zero() {
            self.problem(
                self.at(root, i, "max_age"),
                Some(format!("check[{i}].max_age")),
                "must be more than 0s".into(),
            );
        }
        if let Some(w) = f.warn_age {
            if w >= f.max_age {
                self.problem(
                    self.at(root, i, "warn_age"),
                    Some(format!("check[{i}].warn_age")),
                    "must be shorter than `max_age`".into(),
                );
            }
        }
        match (f.timestamp, &f.format) {
            (BeatSource::Format, None) => self.problem(
                self.at(root, i, "timestamp"),
                Some(format!("check[{i}].format")),
                "`timestamp = \"format\"` needs `format`, a strftime pattern such as \"%d/%m/%Y %H:%M:%S\"".into(),
            ),
            (BeatSource::Format, Some(_)) => {}
            (_, Some(_)) => self.problem(
                self.at(root, i, "format"),
                Some(format!("check[{i}].format")),
                "`format` is used only with `timestamp = \"format\"`".into(),
            ),
            _ => {}
        }
        if let Some(tz) = &f.time_zone {
            if let Err(e) = jiff::tz::TimeZone::get(tz) {
                self.problem(
                    self.at(root, i, "time_zone"),
                    Some(format!("check[{i}].time_zone")),
                    format!("`{tz}` is not a known IANA time zone: {e}"),
                );
            }
        }
    }

    pub(super) fn validate_push(&mut self, i: usize, p: &PushSpec, root: &DeTable<'a>) {
        if p.period < Duration::from_secs(1) {
            self.problem(
                self.at(root, i, "period"),
                Some(format!("check[{i}].period")),
                "must be at least 1s".into(),
            );
        }
    }

    /// A push token names the one check a push is for: two push checks sharing a credential
    /// would both take every push, and a silent job would hide behind the other's.
    pub(super) fn validate_push_tokens(&mut self, checks: &[Check], root: &DeTable<'a>) {
        let mut owners: HashMap<&str, &str> = HashMap::new();
        for (i, c) in checks.iter().enumerate() {
            let CheckSpec::Push(p) = &c.spec else {
                continue;
            };
            if let Some(first) = owners.insert(&p.token.secret, c.id()) {
                owners.insert(&p.token.secret, first);
                self.problem(
                    self.at(root, i, "token"),
                    Some(format!("check[{i}].token")),
                    format!(
                        "credential `{}` is already the push token of check `{first}`; give each push check a token of its own",
                        p.token.secret
                    ),
                );
            }
        }
    }

    pub(super) fn validate_prometheus(&mut self, i: usize, p: &PrometheusSpec, root: &DeTable<'a>) {
        self.base_url(root, i, "url", &p.url);
        self.login(root, i, &p.username, &p.password, &p.bearer_token);
        if p.query.trim().is_empty() {
            self.problem(
                self.at(root, i, "query"),
                Some(format!("check[{i}].query")),
                "must be a PromQL expression".into(),
            );
        }
        for (low, high, what) in [
            (p.degraded_below, p.degraded_above, "degraded"),
            (p.down_below, p.down_above, "down"),
        ] {
            if let (Some(l), Some(h)) = (low, high) {
                if l >= h {
                    self.problem(
                        self.at(root, i, &format!("{what}_below")),
                        Some(format!("check[{i}].{what}_below")),
                        format!("`{what}_below` must be lower than `{what}_above`"),
                    );
                }
            }
        }
    }
}
