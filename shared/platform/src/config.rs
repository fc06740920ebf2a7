//! Configuration: defaults → optional TOML file → `RUBRICA_…` environment
//! variables (`__` separates nesting levels) → `RUBRICA_…_FILE` variables for
//! secrets.
//!
//! Every layer is merged into one JSON tree shaped like [`Settings`]; the tree of
//! the defaults is also the schema: a key that does not exist there (in the file
//! or in the environment) is reported as a warning instead of being silently
//! ignored, because a misspelt `RUBRICA_SERVICES__MAIL__URLL` would otherwise
//! leave a deployment talking to the wrong place.

use std::any::Any;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secret::Secret;
use crate::service::ServiceName;

/// Environment variables with the `RUBRICA_` prefix that are not settings and
/// therefore must not be warned about.
const NON_SETTING_VARIABLES: &[&str] = &[
    "RUBRICA_CONFIG",
    "RUBRICA_TEST_POSTGRES",
    "RUBRICA_TEST_REPORT",
];

/// The sections of the settings that services own, by key. A process that
/// runs only some services (`rubrica serve --only`, a service's own binary)
/// reads only theirs; these keys are then left alone instead of being
/// reported as misspelt, since a shared file or environment may carry them
/// for the other processes.
pub const SERVICE_SECTIONS: &[&str] = &["mail", "archive", "signing", "terms"];

/// A part of the settings that one service owns, declared and documented in
/// that service's crate: `KEY` is its table in the file (`[mail]`) and the
/// prefix of its variables (`RUBRICA_MAIL__…`); its `Default` is both the
/// defaults and the schema unknown keys are checked against.
pub trait Section:
    Serialize + DeserializeOwned + Default + Clone + std::fmt::Debug + Send + Sync + 'static
{
    const KEY: &'static str;

    /// Checks that go beyond types: `Err` is a Spanish reason.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// A [`Section`] as a service declares it (`ServiceSpec::sections`).
#[derive(Clone, Copy)]
pub struct SectionSpec {
    pub key: &'static str,
    defaults: fn() -> Result<Value, ConfigError>,
    parse: fn(Value) -> Result<TypedSection, ConfigError>,
}

impl std::fmt::Debug for SectionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SectionSpec")
            .field("key", &self.key)
            .finish()
    }
}

impl SectionSpec {
    pub const fn of<S: Section>() -> SectionSpec {
        SectionSpec {
            key: S::KEY,
            defaults: defaults_of::<S>,
            parse: parse_of::<S>,
        }
    }
}

fn defaults_of<S: Section>() -> Result<Value, ConfigError> {
    serde_json::to_value(S::default()).map_err(|e| ConfigError::Invalid(e.to_string()))
}

fn parse_of<S: Section>(tree: Value) -> Result<TypedSection, ConfigError> {
    let section: S = serde_json::from_value(tree)
        .map_err(|e| ConfigError::Invalid(format!("sección [{}]: {e}", S::KEY)))?;
    section
        .check()
        .map_err(|reason| ConfigError::Invalid(format!("sección [{}]: {reason}", S::KEY)))?;
    Ok(TypedSection::of(section))
}

/// One loaded section, typed (it is read back by downcasting).
#[derive(Clone)]
struct TypedSection(
    Arc<dyn Any + Send + Sync>,
    fn(&(dyn Any + Send + Sync), &mut std::fmt::Formatter<'_>) -> std::fmt::Result,
);

impl TypedSection {
    fn of<S: Section>(section: S) -> TypedSection {
        TypedSection(Arc::new(section), |any, f| match any.downcast_ref::<S>() {
            Some(s) => std::fmt::Debug::fmt(s, f),
            None => f.write_str("?"),
        })
    }
}

impl std::fmt::Debug for TypedSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (self.1)(self.0.as_ref(), f)
    }
}

/// Everything a Rúbrica process needs to know, whatever services it runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Folder for the embedded default: one SQLite file per service, the
    /// archive's objects and the mail outbox live under it.
    pub data_dir: PathBuf,
    /// Where the process listens and how big requests may be.
    pub http: HttpSettings,
    /// Log format and filter.
    pub log: LogSettings,
    /// Shared secret for service-to-service calls (`/internal/…`). A secret:
    /// set it with `RUBRICA_INTERNAL_TOKEN_FILE` or `RUBRICA_INTERNAL_TOKEN`,
    /// never in a committed file.
    pub internal_token: Option<Secret>,
    /// Database for every service that has no `services.<name>.database_url`:
    /// a `postgres://` URL puts each service in its own schema of that
    /// database; absent means one SQLite file per service under `data_dir`.
    pub database_url: Option<Secret>,
    /// Per-service settings: where the others reach it, and its database.
    pub services: ServicesSettings,
    /// Event delivery (outbox relay) tuning.
    pub relay: RelaySettings,
    /// Authentication: the operator's token, FIEL trust anchors, lifetimes
    /// and rate limits.
    pub auth: AuthSettings,
    /// Anchoring each service's audit chain in the archive's signed log.
    pub audit: AuditSettings,
    /// Which services receive which event types, on top of the built-in
    /// subscriptions each service declares. Keys are event types.
    pub subscriptions: BTreeMap<String, Vec<String>>,
    /// The sections each service owns (`[mail]`, `[archive]`, `[signing]`,
    /// `[terms]`), declared and documented in that service's crate as a
    /// [`Section`]: kept here as merged JSON, read with [`Settings::section`].
    #[serde(skip)]
    pub sections: Sections,
}

/// The services' sections as loaded, typed; read them with
/// [`Settings::section`].
#[derive(Debug, Clone, Default)]
pub struct Sections(BTreeMap<&'static str, TypedSection>);

/// Authentication settings (used by the secretariat, which owns identities).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The installation operator's bootstrap token (a secret: set it with
    /// `RUBRICA_AUTH__OPERATOR_TOKEN_FILE`). It creates secretariats and their
    /// first designations; absent, nobody can.
    pub operator_token: Option<Secret>,
    /// Folder of trusted CA certificates (DER or PEM) for FIEL logins:
    /// SAT's roots in production, a test CA in tests.
    pub trust_anchors_dir: Option<PathBuf>,
    /// Accept a trust folder with certificates pinned one by one (its
    /// `fijados/` subfolder: the demo pins SAT's public *test* FIEL). Only for
    /// demonstrations: `serve` refuses such a folder unless this is on, and
    /// warns loudly when it is.
    pub demo_trust: bool,
    /// Folder of CRLs (`.crl`, DER or PEM) published by the CAs of
    /// `trust_anchors_dir` (SAT publishes its CRLs; download them here).
    /// Each CRL's signature is checked against those CAs when the services
    /// start. Used at FIEL login, signing (prepare, complete) and archive
    /// ingest and verification.
    pub crl_dir: Option<PathBuf>,
    /// URLs (`http://` or `https://`) of CRLs published by those CAs,
    /// downloaded at start-up and again every `crl_refresh_minutes` (or at
    /// the CRL's nextUpdate, if sooner). A failed download keeps the last
    /// good CRL; once it is past its nextUpdate, revocation is reported as
    /// not checked.
    pub crl_urls: Vec<String>,
    /// How often the CRLs of `crl_urls` are downloaded again.
    pub crl_refresh_minutes: u64,
    /// URL of an OCSP responder (RFC 6960) of those CAs, asked about each
    /// certificate. Its answers count only when signed by the certificate's
    /// CA or by a responder certificate that CA issued for OCSP signing.
    pub ocsp_url: Option<String>,
    /// Longest wait, in seconds, for the OCSP responder or a CRL download.
    pub revocation_timeout_seconds: u64,
    /// Whether a certificate whose revocation could not be checked (no
    /// `crl_dir`, `crl_urls` or `ocsp_url`, no CRL of its CA, an expired
    /// CRL, an OCSP responder that does not answer) is refused. `true` by
    /// default (production); turn it off only for tests and demonstrations:
    /// reports then say «no se verificó la revocación».
    pub revocation_required: bool,
    /// Lifetime of a login challenge.
    pub challenge_ttl_seconds: u64,
    /// Lifetime of a session token.
    pub session_ttl_minutes: u64,
    /// Lifetime of a one-time email link.
    pub link_ttl_minutes: u64,
    /// Mailed-link requests allowed per email address in the window (each
    /// sends mail). Counted apart from login failures: asking for links never
    /// locks a member out of their FIEL login.
    pub max_link_requests: u64,
    /// Failed logins (FIEL or mailed link) allowed per client address in the
    /// window, and mailed-link requests per address. Failures are never
    /// counted against a member's account: a stranger holds the public
    /// certificate, not the key. Behind a reverse proxy, set
    /// `http.trusted_proxies` so each client has its own address.
    pub max_failed_attempts_per_address: u64,
    /// Login challenges one client address may ask for in the window.
    pub max_challenges_per_address: u64,
    /// Forms of the public site (questions, complaints, requests to join)
    /// one client address may send in the window.
    pub max_public_forms_per_address: u64,
    /// The rate-limit window.
    pub attempt_window_minutes: u64,
    /// Longest lifetime of an API token (its expiry is required).
    pub api_token_max_days: u64,
    /// Ended sessions and used or expired links are deleted this long after
    /// they end (expired challenges and old failures go sooner).
    pub prune_after_days: u64,
}

/// Anchoring of the audit chains (every service).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// How often each service writes its audit chain's head into the
    /// archive's signed transparency log (when it changed), so rewriting or
    /// truncating the chain is detected against it; 0 turns it off (the
    /// President or the operator can still anchor on demand).
    pub anchor_interval_seconds: u64,
}

/// Listening address and request limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Interface to bind.
    pub host: String,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
    /// Public base URL when behind a proxy (used in links shown to people).
    pub public_url: Option<String>,
    /// Default maximum request body in bytes; routes that take uploads raise it.
    pub body_limit_bytes: usize,
    /// Largest body an anonymous caller may send to any route, uploads
    /// included (a signed acta is well under it); authenticated callers get
    /// the route's own limit.
    pub public_body_limit_bytes: usize,
    /// Seconds to let in-flight requests finish after SIGTERM.
    pub shutdown_grace_seconds: u64,
    /// Reverse proxies whose `X-Forwarded-For` is believed (addresses or
    /// networks: `127.0.0.1`, `10.0.0.0/8`). The client's address — what
    /// login failures and mailed-link requests are counted against — is the
    /// nearest address in that header that is not one of them. Empty (the
    /// default): the header is ignored and the peer's address is the client's.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

/// Logging.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
    /// A `tracing` filter directive, e.g. `info,rubrica_platform=debug`.
    pub filter: String,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Settings of each of the five services.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesSettings {
    pub secretariat: ServiceSettings,
    pub documents: ServiceSettings,
    pub signing: ServiceSettings,
    pub mail: ServiceSettings,
    pub archive: ServiceSettings,
}

impl ServicesSettings {
    /// The settings of one service.
    pub fn get(&self, name: ServiceName) -> &ServiceSettings {
        match name {
            ServiceName::Secretariat => &self.secretariat,
            ServiceName::Documents => &self.documents,
            ServiceName::Signing => &self.signing,
            ServiceName::Mail => &self.mail,
            ServiceName::Archive => &self.archive,
        }
    }

    /// The settings of one service, to change them (the launcher fills in the
    /// URLs of co-located services once it knows its port).
    pub fn get_mut(&mut self, name: ServiceName) -> &mut ServiceSettings {
        match name {
            ServiceName::Secretariat => &mut self.secretariat,
            ServiceName::Documents => &mut self.documents,
            ServiceName::Signing => &mut self.signing,
            ServiceName::Mail => &mut self.mail,
            ServiceName::Archive => &mut self.archive,
        }
    }
}

/// Settings of one service.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    /// Base URL where the other services reach this one, including its path
    /// prefix (e.g. `http://signing:8080/signing`). When the service runs in
    /// this process and no URL is set, the launcher uses its own address.
    pub url: Option<String>,
    /// This service's own database, overriding the top-level `database_url`.
    pub database_url: Option<Secret>,
}

/// Outbox relay tuning.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaySettings {
    /// How often the relay looks for due deliveries when nothing wakes it.
    pub poll_interval_ms: u64,
    /// Deliveries claimed per round.
    pub batch_size: i64,
    /// First retry delay; doubles on every failed attempt.
    pub backoff_base_ms: u64,
    /// Ceiling of the retry delay.
    pub backoff_max_ms: u64,
    /// Attempts before a delivery becomes a dead letter.
    pub max_attempts: i64,
    /// How long a claimed delivery stays reserved for the replica that claimed
    /// it; after that (the replica died) another one may take it.
    pub lease_ms: u64,
    /// Timeout of one delivery request.
    pub request_timeout_ms: u64,
    /// This replica's name, stable across restarts (default: the host name).
    /// A relay that starts frees the deliveries its replica had claimed when
    /// it was killed; replicas sharing one database need distinct names.
    pub replica: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("./data"),
            http: HttpSettings {
                host: "127.0.0.1".into(),
                port: 8080,
                public_url: None,
                body_limit_bytes: 1024 * 1024,
                public_body_limit_bytes: 8 * 1024 * 1024,
                shutdown_grace_seconds: 30,
                trusted_proxies: Vec::new(),
            },
            log: LogSettings {
                format: LogFormat::Text,
                filter: "info".into(),
            },
            internal_token: None,
            database_url: None,
            services: ServicesSettings::default(),
            relay: RelaySettings {
                poll_interval_ms: 1_000,
                batch_size: 32,
                backoff_base_ms: 500,
                backoff_max_ms: 5 * 60 * 1_000,
                max_attempts: 25,
                lease_ms: 60_000,
                request_timeout_ms: 10_000,
                replica: None,
            },
            subscriptions: BTreeMap::new(),
            audit: AuditSettings {
                anchor_interval_seconds: 60 * 60,
            },
            auth: AuthSettings {
                operator_token: None,
                trust_anchors_dir: None,
                demo_trust: false,
                crl_dir: None,
                crl_urls: Vec::new(),
                crl_refresh_minutes: 60,
                ocsp_url: None,
                revocation_timeout_seconds: 5,
                revocation_required: true,
                challenge_ttl_seconds: 300,
                session_ttl_minutes: 120,
                link_ttl_minutes: 15,
                max_link_requests: 5,
                max_failed_attempts_per_address: 100,
                max_challenges_per_address: 300,
                max_public_forms_per_address: 20,
                attempt_window_minutes: 15,
                api_token_max_days: 365,
                prune_after_days: 30,
            },
            sections: Sections::default(),
        }
    }
}

/// A configuration that cannot be used. The message is for the person
/// starting the process: what is wrong and what to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no se pudo leer el archivo de configuración {path}: {source}. Revise la ruta y los permisos."
    )]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("el archivo de configuración {path} no es TOML válido: {message}")]
    ParseFile { path: PathBuf, message: String },
    #[error(
        "no se pudo leer el secreto de {variable} en {path}: {source}. Revise la ruta y los permisos."
    )]
    ReadSecret {
        variable: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "la variable {variable} tiene el valor «{value}», que no es válido: se esperaba {expected}."
    )]
    BadValue {
        variable: String,
        value: String,
        expected: &'static str,
    },
    #[error("la configuración no es válida: {0}. Revise el archivo y las variables RUBRICA_….")]
    Invalid(String),
}

/// Settings as loaded, plus what was found that the schema does not know.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub settings: Settings,
    /// Unknown keys and variables, already phrased for a warning log line.
    pub warnings: Vec<String>,
}

impl Settings {
    /// Loads the settings from the real process environment and, if given (or
    /// named by `RUBRICA_CONFIG`), a TOML file.
    /// `sections` are those of the services this process runs.
    pub fn load(file: Option<&Path>, sections: &[SectionSpec]) -> Result<Loaded, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("RUBRICA_CONFIG").map(PathBuf::from));
        Self::load_from(file.as_deref(), &env, sections)
    }

    /// Loads the settings from an explicit environment (tests use this so they
    /// never depend on the variables of the machine running them).
    pub fn load_from(
        file: Option<&Path>,
        env: &[(String, String)],
        sections: &[SectionSpec],
    ) -> Result<Loaded, ConfigError> {
        let mut defaults = serde_json::to_value(Settings::default())
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        for section in sections {
            defaults[section.key] = (section.defaults)()?;
        }
        let defaults = defaults;
        let mut tree = defaults.clone();
        let mut warnings = Vec::new();

        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
                path: path.to_path_buf(),
                source,
            })?;
            let parsed: toml::Value =
                toml::from_str(&text).map_err(|e| ConfigError::ParseFile {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?;
            let parsed =
                serde_json::to_value(parsed).map_err(|e| ConfigError::Invalid(e.to_string()))?;
            merge_file(&mut tree, &defaults, &parsed, "", &mut warnings, path);
        }

        let mut env: Vec<&(String, String)> = env
            .iter()
            .filter(|(k, _)| k.starts_with("RUBRICA_"))
            .collect();
        // Plain variables first, then `_FILE` ones, so a secret file wins over
        // a plain variable of the same setting.
        env.sort_by_key(|(k, _)| (k.ends_with("_FILE"), k.clone()));
        for (name, value) in env {
            if NON_SETTING_VARIABLES.contains(&name.as_str()) {
                continue;
            }
            let (key, value) = match name.strip_suffix("_FILE") {
                Some(key) if lookup(&defaults, &env_path(key)).is_some() => {
                    let secret = std::fs::read_to_string(value).map_err(|source| {
                        ConfigError::ReadSecret {
                            variable: name.clone(),
                            path: PathBuf::from(value),
                            source,
                        }
                    })?;
                    (key, secret.trim_end_matches(['\n', '\r']).to_string())
                }
                _ => (name.as_str(), value.clone()),
            };
            let path = env_path(key);
            if lookup(&defaults, &path[..1]).is_none() && SERVICE_SECTIONS.contains(&&*path[0]) {
                continue; // another process's section
            }
            // `subscriptions` is an open map: any event type is a valid key.
            let subscription = path.len() == 2 && path[0] == "subscriptions";
            let empty_list = Value::Array(Vec::new());
            let Some(template) = lookup(&defaults, &path).or(subscription.then_some(&empty_list))
            else {
                warnings.push(format!(
                    "la variable de entorno {name} no corresponde a ninguna opción de configuración y se ignora; revise su nombre"
                ));
                continue;
            };
            let typed = coerce(template, &value, name)?;
            set(&mut tree, &path, typed);
        }

        let mut typed = BTreeMap::new();
        for section in sections {
            let part = tree
                .as_object_mut()
                .and_then(|t| t.remove(section.key))
                .unwrap_or(Value::Null);
            typed.insert(section.key, (section.parse)(part)?);
        }
        let mut settings: Settings =
            serde_json::from_value(tree).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        settings.sections = Sections(typed);
        settings.check()?;
        Ok(Loaded { settings, warnings })
    }

    /// Checks that go beyond types.
    fn check(&self) -> Result<(), ConfigError> {
        for url in std::iter::once(&self.database_url)
            .chain(
                ServiceName::ALL
                    .iter()
                    .map(|s| &self.services.get(*s).database_url),
            )
            .flatten()
        {
            let url = url.expose();
            if !(url.starts_with("postgres://")
                || url.starts_with("postgresql://")
                || url.starts_with("sqlite:"))
            {
                return Err(ConfigError::Invalid(format!(
                    "la URL de base de datos «{}» no es de PostgreSQL (postgres://…) ni de SQLite (sqlite:…)",
                    crate::db::redact_url(url)
                )));
            }
        }
        for (event, subscribers) in &self.subscriptions {
            for s in subscribers {
                if s.parse::<ServiceName>().is_err() {
                    return Err(ConfigError::Invalid(format!(
                        "la suscripción al evento «{event}» nombra el servicio «{s}», que no existe (válidos: secretariat, documents, signing, mail, archive)"
                    )));
                }
            }
        }
        for url in self.auth.crl_urls.iter().chain(&self.auth.ocsp_url) {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Invalid(format!(
                    "la dirección de revocación «{url}» (auth.crl_urls / auth.ocsp_url) no empieza con http:// ni https://"
                )));
            }
        }
        if self.auth.crl_refresh_minutes < 1 || self.auth.revocation_timeout_seconds < 1 {
            return Err(ConfigError::Invalid(
                "auth.crl_refresh_minutes y auth.revocation_timeout_seconds deben ser al menos 1"
                    .into(),
            ));
        }
        if self.relay.max_attempts < 1 || self.relay.batch_size < 1 {
            return Err(ConfigError::Invalid(
                "relay.max_attempts y relay.batch_size deben ser al menos 1".into(),
            ));
        }
        Ok(())
    }

    /// The section `S` as loaded (its defaults when this process did not
    /// load it, as in tests that build [`Settings::default`]).
    pub fn section<S: Section>(&self) -> S {
        self.sections
            .0
            .get(S::KEY)
            .and_then(|s| s.0.downcast_ref::<S>())
            .cloned()
            .unwrap_or_default()
    }

    /// Replaces the section `S` (tests, the demo).
    pub fn set_section<S: Section>(&mut self, section: S) {
        self.sections.0.insert(S::KEY, TypedSection::of(section));
    }

    /// Changes the section `S` in place (tests, the demo).
    pub fn edit<S: Section>(&mut self, change: impl FnOnce(&mut S)) {
        let mut section = self.section::<S>();
        change(&mut section);
        self.set_section(section);
    }

    /// The database URL a service uses, if any was configured (SQLite under
    /// `data_dir` otherwise).
    pub fn database_url_for(&self, service: ServiceName) -> Option<&str> {
        self.services
            .get(service)
            .database_url
            .as_ref()
            .or(self.database_url.as_ref())
            .map(Secret::expose)
    }
}

/// `RUBRICA_SERVICES__MAIL__URL` → `["services", "mail", "url"]`.
fn env_path(name: &str) -> Vec<String> {
    name.trim_start_matches("RUBRICA_")
        .split("__")
        .map(|p| p.to_ascii_lowercase())
        .collect()
}

fn lookup<'a>(tree: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(tree, |node, key| node.get(key))
}

fn set(tree: &mut Value, path: &[String], value: Value) {
    let mut node = tree;
    for key in &path[..path.len() - 1] {
        if !node.get(key).is_some_and(Value::is_object) {
            node[key] = Value::Object(Map::new());
        }
        node = &mut node[key];
    }
    node[&path[path.len() - 1]] = value;
}

/// Turns an environment string into the JSON type of the default it replaces.
fn coerce(template: &Value, raw: &str, variable: &str) -> Result<Value, ConfigError> {
    let bad = |expected| ConfigError::BadValue {
        variable: variable.to_string(),
        value: raw.to_string(),
        expected,
    };
    Ok(match template {
        Value::Bool(_) => match raw.to_ascii_lowercase().as_str() {
            "1" | "true" | "si" | "sí" | "yes" | "on" => Value::Bool(true),
            "0" | "false" | "no" | "off" => Value::Bool(false),
            _ => return Err(bad("true o false")),
        },
        Value::Number(_) => Value::Number(raw.trim().parse().map_err(|_| bad("un número"))?),
        Value::Array(_) => Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
        Value::Object(_) => return Err(bad("una opción simple, no una sección")),
        Value::Null | Value::String(_) => Value::String(raw.to_string()),
    })
}

/// Merges the file's tree over the defaults, warning about keys that do not
/// exist in the schema.
fn merge_file(
    tree: &mut Value,
    schema: &Value,
    file: &Value,
    prefix: &str,
    warnings: &mut Vec<String>,
    path: &Path,
) {
    let Value::Object(entries) = file else { return };
    for (key, value) in entries {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let open_map = prefix == "subscriptions" || name == "subscriptions";
        match schema.get(key) {
            Some(Value::Object(_)) if value.is_object() && !open_map => {
                merge_file(&mut tree[key], &schema[key], value, &name, warnings, path);
            }
            Some(_) => tree[key] = value.clone(),
            None if prefix == "subscriptions" => tree[key] = value.clone(),
            // Another process's section (see SERVICE_SECTIONS).
            None if prefix.is_empty() && SERVICE_SECTIONS.contains(&key.as_str()) => {}
            None => warnings.push(format!(
                "la opción «{name}» del archivo {} no existe y se ignora; revise su nombre",
                path.display()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_when_nothing_is_configured() {
        let loaded = Settings::load_from(None, &[], &[]).unwrap();
        assert_eq!(loaded.settings.http.port, 8080);
        assert_eq!(loaded.settings.data_dir, PathBuf::from("./data"));
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn environment_overrides_the_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rubrica.toml");
        std::fs::write(
            &file,
            "data_dir = \"/srv/rubrica\"\n[http]\nport = 9000\nhost = \"0.0.0.0\"\n[services.mail]\nurl = \"http://mail:8080/mail\"\n",
        )
        .unwrap();
        let loaded = Settings::load_from(
            Some(&file),
            &env(&[
                ("RUBRICA_HTTP__PORT", "9100"),
                ("RUBRICA_LOG__FORMAT", "json"),
            ]),
            &[],
        )
        .unwrap();
        let s = loaded.settings;
        assert_eq!(s.data_dir, PathBuf::from("/srv/rubrica"));
        assert_eq!(s.http.host, "0.0.0.0");
        assert_eq!(s.http.port, 9100);
        assert_eq!(s.log.format, LogFormat::Json);
        assert_eq!(
            s.services.mail.url.as_deref(),
            Some("http://mail:8080/mail")
        );
    }

    #[test]
    fn file_variables_carry_secrets_and_win_over_plain_ones() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("token");
        std::fs::write(&secret, "s3cr3t\n").unwrap();
        let loaded = Settings::load_from(
            None,
            &env(&[
                ("RUBRICA_INTERNAL_TOKEN", "plain"),
                ("RUBRICA_INTERNAL_TOKEN_FILE", secret.to_str().unwrap()),
            ]),
            &[],
        )
        .unwrap();
        assert_eq!(
            loaded.settings.internal_token.as_ref().map(|s| s.expose()),
            Some("s3cr3t")
        );
    }

    #[test]
    fn unknown_variables_and_file_keys_are_warned_about() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rubrica.toml");
        std::fs::write(&file, "[http]\nprot = 1\n").unwrap();
        let loaded = Settings::load_from(
            Some(&file),
            &env(&[
                ("RUBRICA_SERVICES__MAIL__URLL", "x"),
                ("RUBRICA_TEST_POSTGRES", "postgres://x"),
            ]),
            &[],
        )
        .unwrap();
        assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].contains("http.prot"));
        assert!(loaded.warnings[1].contains("RUBRICA_SERVICES__MAIL__URLL"));
    }

    #[test]
    fn a_badly_typed_variable_is_refused_with_a_spanish_message() {
        let err = Settings::load_from(None, &env(&[("RUBRICA_HTTP__PORT", "ochenta")]), &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("RUBRICA_HTTP__PORT") && err.contains("un número"),
            "{err}"
        );
    }

    #[test]
    fn subscriptions_are_an_open_map_of_event_types() {
        let loaded = Settings::load_from(
            None,
            &env(&[("RUBRICA_SUBSCRIPTIONS__SESSION.CLOSED", "documents, mail")]),
            &[],
        )
        .unwrap();
        assert_eq!(
            loaded.settings.subscriptions["session.closed"],
            vec!["documents".to_string(), "mail".to_string()]
        );
        let err = Settings::load_from(None, &env(&[("RUBRICA_SUBSCRIPTIONS__X", "nadie")]), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("nadie"), "{err}");
    }

    #[test]
    fn a_database_url_of_an_unknown_kind_is_refused() {
        let err = Settings::load_from(None, &env(&[("RUBRICA_DATABASE_URL", "mysql://x")]), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("PostgreSQL"), "{err}");
    }

    /// A section as a service would declare it.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Reminders {
        every_days: u32,
        subject: String,
    }

    impl Default for Reminders {
        fn default() -> Self {
            Reminders {
                every_days: 7,
                subject: "Recordatorio".into(),
            }
        }
    }

    impl Section for Reminders {
        const KEY: &'static str = "signing";

        fn check(&self) -> Result<(), String> {
            if self.every_days == 0 {
                return Err("every_days debe ser al menos 1".into());
            }
            Ok(())
        }
    }

    #[test]
    fn a_service_s_section_is_typed_checked_and_left_alone_by_processes_without_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rubrica.toml");
        std::fs::write(&file, "[signing]\nsubject = \"Aviso\"\nevery_dais = 3\n").unwrap();
        let vars = env(&[("RUBRICA_SIGNING__EVERY_DAYS", "3")]);
        let spec = [SectionSpec::of::<Reminders>()];
        let loaded = Settings::load_from(Some(&file), &vars, &spec).unwrap();
        assert_eq!(
            loaded.settings.section::<Reminders>(),
            Reminders {
                every_days: 3,
                subject: "Aviso".into()
            }
        );
        // The misspelt key is reported; nothing else is.
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].contains("signing.every_dais"));
        // A process that does not run the section's service ignores it quietly.
        let loaded = Settings::load_from(Some(&file), &vars, &[]).unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert_eq!(loaded.settings.section::<Reminders>(), Reminders::default());
        // The section's own checks and types refuse with the section named.
        let err = Settings::load_from(None, &env(&[("RUBRICA_SIGNING__EVERY_DAYS", "0")]), &spec)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[signing]") && err.contains("al menos 1"),
            "{err}"
        );
        let err = Settings::load_from(None, &env(&[("RUBRICA_SIGNING__EVERY_DAYS", "x")]), &spec)
            .unwrap_err()
            .to_string();
        assert!(err.contains("un número"), "{err}");
        // Tests and the demo change a section in place.
        let mut settings = Settings::default();
        settings.edit::<Reminders>(|r| r.every_days = 30);
        assert_eq!(settings.section::<Reminders>().every_days, 30);
        assert!(format!("{settings:?}").contains("every_days: 30"));
    }
}
