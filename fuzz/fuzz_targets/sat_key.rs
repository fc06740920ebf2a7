//! The SAT `.key` decrypter on arbitrary bytes (DER or PEM, encrypted
//! PKCS#8 with PBES2, or a plain key), with the test credentials' password.
//! A hostile file must not make the key derivation run unbounded either.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rubrica_fiel::PrivateKey;

fuzz_target!(|data: &[u8]| {
    let _ = PrivateKey::from_bytes(data, b"12345678a");
});
