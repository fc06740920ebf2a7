//! Getting bytes in: bounded file reads and DER/PEM sniffing.
//!
//! Every public reader goes through here so that a wrong file (a PDF, a photo) is
//! refused by size before any parser sees it, and so that "DER or PEM" is decided
//! the same way everywhere.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{FielError, Result};

/// Largest certificate or key file accepted: SAT's are under 2 KB; CA bundles in
/// PEM can hold a few dozen certificates.
pub(crate) const MAX_CREDENTIAL_BYTES: u64 = 1024 * 1024;

/// Largest CRL file accepted: a national CA's list can reach tens of megabytes.
pub(crate) const MAX_CRL_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a whole file, refusing it past `limit` bytes. The buffer is wiped on drop
/// because it may hold an unencrypted private key.
pub(crate) fn read_limited(
    path: &Path,
    limit: u64,
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>> {
    let io = |source| FielError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let mut buf = Zeroizing::new(Vec::new());
    file.take(limit + 1).read_to_end(&mut buf).map_err(io)?;
    check_size(buf.len(), limit, what)?;
    Ok(buf)
}

/// Refuses inputs past `limit` bytes with a message naming what was expected.
pub(crate) fn check_size(len: usize, limit: u64, what: &'static str) -> Result<()> {
    let size = len as u64;
    if size > limit {
        return Err(FielError::TooLarge { what, size });
    }
    Ok(())
}

/// Drops a UTF-8 byte-order mark some Windows editors put before PEM text.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

/// Whether the bytes look like PEM text (possibly after a BOM, spaces or comments)
/// rather than DER, which always starts with a SEQUENCE tag.
pub(crate) fn looks_like_pem(bytes: &[u8]) -> bool {
    let bytes = strip_bom(bytes);
    bytes.first() != Some(&0x30) && bytes.windows(11).any(|w| w == b"-----BEGIN ")
}
