//! Tests of rubrica-pdfsign: signable revision, nine signatures, independent
//! validators (pdfsig, qpdf, openssl cms), tampering, refusals, the SAT test
//! FIEL, two-step signing and hostile input.

mod helpers;
mod refusals;
mod robustness;
mod sat;
mod tampering;
mod two_step;
mod validators;
mod verification;
