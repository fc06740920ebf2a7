//! The embedded mail transport: `.eml` files a person can open.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Where messages are written: `<data_dir>/mail/outbox/`.
pub fn outbox_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("mail").join("outbox")
}

/// Writes `message` as `<dir>/<name>.eml`, atomically (temporary file, fsync,
/// rename), so a reader never sees half a message and writing the same name
/// twice leaves one message.
pub fn write_message(dir: &Path, name: &str, message: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{name}.eml"));
    let temporary = dir.join(format!(".{name}.eml.tmp"));
    {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(message)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, &path)?;
    Ok(path)
}
