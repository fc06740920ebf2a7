//! The platform every Rúbrica service stands on.
//!
//! # Layout
//! - [`config`]: settings from defaults, a TOML file, `RUBRICA_…` variables
//!   and `…_FILE` secrets; unknown keys are warned about.
//! - [`db`]: one database per service — SQLite (WAL) by default, PostgreSQL by
//!   URL — with the platform's and the service's migrations applied at start.
//! - [`error`]: the HTTP error type ([`error::ApiError`]) rendered as RFC 9457
//!   problem details with Spanish text, and extractors whose rejections are too.
//! - [`client`]: the one client for calls between services (URL from the
//!   settings, internal token or the person's own credential, timeout,
//!   bounded body, one status mapping).
//! - [`http`]: the HTTP vocabulary on actix-web: documented routers
//!   ([`http::ApiRouter`], [`routes!`]), extractors with Spanish rejections,
//!   downloads.
//! - [`telemetry`]: `tracing` set-up and the request-id middleware.
//! - [`health`]: `/health/live` and `/health/ready`.
//! - [`events`]: the transactional outbox, its HTTP relay and the receiving
//!   inbox that ignores repeats.
//! - [`auth`]: the caller of a request, roles, and each service's access table
//!   enforced before any handler runs.
//! - [`audit`]: the hash-chained audit trail every state change appends to.
//! - [`service`]: what a service is ([`ServiceSpec`]) and what it gets
//!   ([`ServiceContext`]).
//! - [`app`]: a spec turned into a router with its OpenAPI document and relay.
//! - [`launch`]: several services in one process on one port, graceful
//!   shutdown.
//! - [`testing`]: fresh databases (SQLite, and PostgreSQL when
//!   `RUBRICA_TEST_POSTGRES` names a server) for tests.

pub mod app;
pub mod audit;
pub mod auth;
pub mod client;
pub mod compute;
pub mod config;
pub mod csv;
pub mod db;
pub mod error;
pub mod events;
pub mod health;
pub mod http;
pub mod launch;
pub mod sealed;
pub mod secret;
pub mod service;
pub mod sniff;
pub mod telemetry;
pub mod testing;
pub mod trust;

pub use auth::{Access, Allowed, Caller, Role};
pub use config::Settings;
pub use db::{Backend, Database};
pub use error::{ApiError, ApiResult, Json, OrUnexpected, Problem};
pub use events::{Event, EventHandler, EventHandlers, HandlerError, HandlerFuture, Outbox};
pub use launch::Suite;
pub use service::{ServiceContext, ServiceName, ServiceParts, ServiceSpec};

/// A cheaply cloned byte buffer: what object stores hold and HTTP bodies
/// carry (logic takes it from here, not from [`http`]).
pub use http::Bytes;
pub use http::{ApiRouter, State};
/// Re-exported so service crates use the same versions.
pub use {actix_web, paste, sqlx, utoipa};
