//! The one client for calls from one service of the suite to another. It
//! lives in the platform (whose own calls — the event relay, the audit
//! anchor — use it too) and is re-exported here beside the contracts it
//! carries.

pub use rubrica_platform::client::*;
