//! The log's Ed25519 signing key: a secret kept in a file, never in the
//! database and never in a log line (only its public half is printed).
//!
//! - `archive.log_key_file` names a PKCS#8 file (DER, or PEM with a
//!   `PRIVATE KEY` block): every replica of a scaled-out archive reads the
//!   same key.
//! - Absent, and only when objects live in a local folder (the embedded
//!   default), the key is generated once into
//!   `<data_dir>/archive/log-key.pk8` with mode 0600, written to a temporary
//!   file and published with a create-only hard link, so two processes
//!   starting together end up with one key.
//! - Absent with S3 storage the archive refuses to sign: replicas would each
//!   invent a key and publish heads nobody could check against one key.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use rubrica_platform::Settings;
use rubrica_translog::LogSigner;

use crate::settings::ArchiveSettings;

/// The file name of the generated key.
pub const GENERATED_KEY_FILE: &str = "log-key.pk8";

/// Where the embedded default keeps the key it generates.
pub fn generated_key_path(settings: &Settings) -> PathBuf {
    settings.data_dir.join("archive").join(GENERATED_KEY_FILE)
}

/// The signer for this process. The error is Spanish and says what to do.
pub fn load(settings: &Settings, local_storage: bool) -> Result<LogSigner, String> {
    match &settings.section::<ArchiveSettings>().log_key_file {
        Some(path) => read(path),
        None if local_storage => {
            let path = generated_key_path(settings);
            if !path.exists() {
                generate(&path)?;
            }
            read(&path)
        }
        None => Err(
            "con almacenamiento S3 el archivo debe usar una llave de firma compartida por todas sus réplicas: indique archive.log_key_file (RUBRICA_ARCHIVE__LOG_KEY_FILE) con una llave Ed25519 PKCS#8, por ejemplo la que Rúbrica genera en <data_dir>/archive/log-key.pk8".into(),
        ),
    }
}

/// Reads a PKCS#8 key (DER or PEM).
fn read(path: &Path) -> Result<LogSigner, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "no se pudo leer la llave del registro {}: {e}. Revise la ruta (archive.log_key_file) y los permisos",
            path.display()
        )
    })?;
    warn_if_readable_by_others(path);
    let der = match std::str::from_utf8(&bytes) {
        Ok(text) if text.trim_start().starts_with("-----BEGIN") => pem_body(text)
            .ok_or_else(|| {
                format!(
                    "la llave del registro {} parece PEM pero no contiene un bloque «PRIVATE KEY» legible",
                    path.display()
                )
            })?,
        _ => bytes,
    };
    LogSigner::from_pkcs8(&der).map_err(|e| {
        format!(
            "la llave del registro {} no es una llave Ed25519 PKCS#8 v2 utilizable ({e}); use la que Rúbrica genera o una equivalente",
            path.display()
        )
    })
}

/// The DER inside a `-----BEGIN PRIVATE KEY-----` block.
fn pem_body(text: &str) -> Option<Vec<u8>> {
    let start = text.find("-----BEGIN PRIVATE KEY-----")? + "-----BEGIN PRIVATE KEY-----".len();
    let end = text[start..].find("-----END PRIVATE KEY-----")? + start;
    let body: String = text[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// A key readable by anyone but its owner is a key others may have copied.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                "la llave del registro puede ser leída por otros usuarios: déjela con permisos 0600"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Generates a key into `path` (mode 0600), unless another process wins the
/// race, in which case its key stays.
fn generate(path: &Path) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "no se pudo crear la carpeta {} para la llave del registro: {e}",
            dir.display()
        )
    })?;
    let pkcs8 = LogSigner::generate().map_err(|e| e.to_string())?;
    let temporary = dir.join(format!(".{GENERATED_KEY_FILE}.{}.tmp", std::process::id()));
    let written = write_private(&temporary, &pkcs8).and_then(|()| {
        match std::fs::hard_link(&temporary, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
    });
    let _ = std::fs::remove_file(&temporary);
    written.and_then(|()| sync_dir(dir)).map_err(|e| {
        format!(
            "no se pudo guardar la llave del registro en {}: {e}",
            path.display()
        )
    })?;
    if let Ok(signer) = read(path) {
        tracing::info!(
            path = %path.display(),
            public_key = %hex::encode(signer.public_key()),
            "llave del registro del archivo generada"
        );
    }
    Ok(())
}

/// Writes a new file only its owner can read, flushed to disk.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &Path) -> Settings {
        Settings {
            data_dir: dir.to_path_buf(),
            ..Settings::default()
        }
    }

    #[test]
    fn the_embedded_key_is_generated_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let settings = settings(dir.path());

        let first = load(&settings, true).unwrap();
        let second = load(&settings, true).unwrap();

        assert_eq!(first.public_key(), second.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(generated_key_path(&settings))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("archive"))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            leftovers,
            vec![std::ffi::OsString::from(GENERATED_KEY_FILE)]
        );
    }

    #[test]
    fn a_configured_key_is_read_as_der_or_pem() {
        let dir = tempfile::tempdir().unwrap();
        let pkcs8 = LogSigner::generate().unwrap();
        let expected = LogSigner::from_pkcs8(&pkcs8).unwrap();
        let der = dir.path().join("llave.der");
        std::fs::write(&der, &pkcs8).unwrap();
        let pem = dir.path().join("llave.pem");
        std::fs::write(
            &pem,
            format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                base64::engine::general_purpose::STANDARD.encode(&pkcs8)
            ),
        )
        .unwrap();
        for path in [der, pem] {
            let mut settings = settings(dir.path());
            settings.edit::<ArchiveSettings>(|a| a.log_key_file = Some(path));
            assert_eq!(
                load(&settings, false).unwrap().public_key(),
                expected.public_key()
            );
        }
    }

    #[test]
    fn shared_storage_without_a_configured_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(&settings(dir.path()), false).unwrap_err();
        assert!(err.contains("archive.log_key_file"), "{err}");
        assert!(!generated_key_path(&settings(dir.path())).exists());
    }

    #[test]
    fn a_file_that_is_not_a_key_is_refused_in_spanish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("llave");
        std::fs::write(&path, b"no soy una llave").unwrap();
        let mut settings = settings(dir.path());
        settings.edit::<ArchiveSettings>(|a| a.log_key_file = Some(path));
        let err = load(&settings, true).unwrap_err();
        assert!(err.contains("Ed25519 PKCS#8"), "{err}");
    }
}
