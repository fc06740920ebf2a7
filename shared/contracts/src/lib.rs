//! The contracts between Rúbrica's services, in one place: every event type
//! name, every event payload, and who emits each type ([`events`]).
//!
//! A service emitting or handling an event uses these types and constants
//! instead of its own copy, so emitter and subscriber cannot drift apart.

pub mod events;
pub mod login;
