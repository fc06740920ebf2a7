//! The events the mail service reacts to and their payloads: the suite's
//! contracts, defined once in `rubrica-contracts` (`shared/contracts`) and
//! shared with the services that emit them.

pub use rubrica_contracts::events::*;
