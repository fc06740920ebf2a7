//! The contracts between Rúbrica's services, in one place: every event type
//! name, every event payload, and who emits each type ([`events`]); the
//! views one service reads from another ([`views`]); and the one client
//! for calls between services ([`client`]).
//!
//! A service emitting or handling an event uses these types and constants
//! instead of its own copy, so emitter and subscriber cannot drift apart.

pub mod client;
pub mod events;
pub mod login;
pub mod views;
