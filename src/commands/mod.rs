//! The CLI's commands beyond `serve`, one module each.

pub mod access;
pub mod audit;
pub mod demo;
pub mod log_verify;
pub mod login;
pub mod pdf;
pub mod remote_sign;
pub mod render;
