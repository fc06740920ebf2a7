//! Integration tests of rubrica-fiel on SAT's public test credentials
//! (`tests/fixtures/sat-test-certs`) and on a test PKI made with openssl
//! (`tests/fixtures/make-test-pki.sh`).

mod helpers;
mod net_revocation;
mod ring_rsa;
mod robustness;
mod sat_credentials;
mod test_pki;
