//! Cross-service tests: services started as real HTTP servers on port 0.
//! Every database test runs on SQLite and, when `RUBRICA_TEST_POSTGRES` names
//! a server, on PostgreSQL with a fresh database.

mod access;
mod archive;
mod attachments;
mod documents;
mod events;
mod evidence;
mod helpers;
mod mail;
mod malformed;
mod news;
mod open_data_site;
mod platform;
mod projects;
mod public;
mod public_site;
mod records;
mod secretariat;
mod signing;
