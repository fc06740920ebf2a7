//! BagIt bags (RFC 8493) and the ZIP they travel in.
//!
//! A handover package is a bag: `bagit.txt`, `bag-info.txt`,
//! `manifest-sha256.txt` (every payload file and its SHA-256),
//! `tagmanifest-sha256.txt` (the tag files and theirs) and the payload under
//! `data/`. [`build`] makes one from its payload, [`validate`] checks one as
//! a receiver would (every file listed, every hash right, nothing missing or
//! extra, `Payload-Oxum` right), and [`zip`]/[`unzip`] pack it in a ZIP
//! whose entries are stored (not compressed: PDFs and ZIPs do not shrink),
//! so the same bag gives the same bytes.

use std::collections::BTreeMap;

use rubrica_platform::Bytes;

use crate::digest::Sha256;

/// The BagIt version written.
pub const VERSION: &str = "1.0";

/// A bag: its files by path (`bagit.txt`, `data/…`), in path order.
#[derive(Debug, Clone, Default)]
pub struct Bag {
    pub files: BTreeMap<String, Bytes>,
}

/// A `bag-info.txt` line (`Label: value`).
pub type InfoLine = (&'static str, String);

/// RFC 8493 §2.1.3: CR, LF and `%` in a manifest path are percent-encoded.
fn encode_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn decode_path(path: &str) -> String {
    path.replace("%0D", "\r")
        .replace("%0d", "\r")
        .replace("%0A", "\n")
        .replace("%0a", "\n")
        .replace("%25", "%")
}

/// A tag value on one line (labels are ours; values come from people).
fn one_line(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn manifest(files: &BTreeMap<String, Bytes>, keep: impl Fn(&str) -> bool) -> String {
    let mut out = String::new();
    for (path, bytes) in files.iter().filter(|(p, _)| keep(p)) {
        out.push_str(&format!(
            "{}  {}\n",
            Sha256::digest(bytes),
            encode_path(path)
        ));
    }
    out
}

/// A bag of `payload` (paths relative to `data/`) with `info` in
/// `bag-info.txt` (plus `Payload-Oxum`, computed here).
pub fn build(payload: &[(String, Bytes)], info: &[InfoLine]) -> Bag {
    let mut files = BTreeMap::new();
    for (path, bytes) in payload {
        files.insert(format!("data/{path}"), bytes.clone());
    }
    let octets: usize = payload.iter().map(|(_, b)| b.len()).sum();
    files.insert(
        "bagit.txt".into(),
        Bytes::from(format!(
            "BagIt-Version: {VERSION}\nTag-File-Character-Encoding: UTF-8\n"
        )),
    );
    let mut bag_info = String::new();
    for (label, value) in info {
        bag_info.push_str(&format!("{label}: {}\n", one_line(value)));
    }
    bag_info.push_str(&format!("Payload-Oxum: {octets}.{}\n", payload.len()));
    files.insert("bag-info.txt".into(), Bytes::from(bag_info));
    let payload_manifest = manifest(&files, |p| p.starts_with("data/"));
    files.insert("manifest-sha256.txt".into(), Bytes::from(payload_manifest));
    let tags = manifest(&files, |p| !p.starts_with("data/"));
    files.insert("tagmanifest-sha256.txt".into(), Bytes::from(tags));
    Bag { files }
}

/// Reads a manifest: path → hex SHA-256.
fn parse_manifest(name: &str, text: &str, problems: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match line.split_once(char::is_whitespace) {
            Some((hash, path))
                if hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()) =>
            {
                out.insert(decode_path(path.trim_start()), hash.to_ascii_lowercase());
            }
            _ => problems.push(format!("{name}, línea {}: no es «SHA-256 ruta»", n + 1)),
        }
    }
    out
}

/// Checks `bag` as RFC 8493 says a receiver validates it. `Err` lists every
/// problem found, in Spanish.
pub fn validate(bag: &Bag) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let text = |name: &str, problems: &mut Vec<String>| -> Option<String> {
        match bag.files.get(name) {
            None => {
                problems.push(format!("falta {name}"));
                None
            }
            Some(bytes) => match std::str::from_utf8(bytes) {
                Ok(t) => Some(t.to_string()),
                Err(_) => {
                    problems.push(format!("{name} no está en UTF-8"));
                    None
                }
            },
        }
    };
    if let Some(declaration) = text("bagit.txt", &mut problems) {
        let lines: Vec<&str> = declaration.lines().collect();
        if lines
            .first()
            .and_then(|l| l.strip_prefix("BagIt-Version: "))
            .is_none()
        {
            problems.push("bagit.txt no empieza con «BagIt-Version: M.N»".into());
        }
        if lines.get(1) != Some(&"Tag-File-Character-Encoding: UTF-8") {
            problems.push("bagit.txt no declara «Tag-File-Character-Encoding: UTF-8»".into());
        }
    }
    if let Some(manifest) = text("manifest-sha256.txt", &mut problems) {
        let listed = parse_manifest("manifest-sha256.txt", &manifest, &mut problems);
        for (path, hash) in &listed {
            if !path.starts_with("data/") {
                problems.push(format!("el manifiesto lista {path}, que no está en data/"));
            }
            match bag.files.get(path) {
                None => problems.push(format!("falta {path}, que el manifiesto lista")),
                Some(bytes) if Sha256::digest(bytes).to_hex() != *hash => {
                    problems.push(format!("{path} no tiene la huella del manifiesto"))
                }
                Some(_) => {}
            }
        }
        let payload: Vec<&String> = bag
            .files
            .keys()
            .filter(|p| p.starts_with("data/"))
            .collect();
        for path in &payload {
            if !listed.contains_key(*path) {
                problems.push(format!("{path} no está en el manifiesto"));
            }
        }
        if let Some(info) = text("bag-info.txt", &mut problems) {
            let oxum = info
                .lines()
                .find_map(|l| l.strip_prefix("Payload-Oxum: "))
                .map(str::trim);
            let octets: usize = payload.iter().map(|p| bag.files[*p].len()).sum();
            let expected = format!("{octets}.{}", payload.len());
            if let Some(oxum) = oxum
                && oxum != expected
            {
                problems.push(format!(
                    "Payload-Oxum dice {oxum} y la carga útil es {expected}"
                ));
            }
        }
    }
    if let Some(tags) = bag.files.get("tagmanifest-sha256.txt") {
        let tags = String::from_utf8_lossy(tags).to_string();
        for (path, hash) in parse_manifest("tagmanifest-sha256.txt", &tags, &mut problems) {
            match bag.files.get(&path) {
                None => problems.push(format!(
                    "falta {path}, que el manifiesto de etiquetas lista"
                )),
                Some(bytes) if Sha256::digest(bytes).to_hex() != hash => problems.push(format!(
                    "{path} no tiene la huella del manifiesto de etiquetas"
                )),
                Some(_) => {}
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Why a ZIP could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("el paquete excede 4 GiB, el límite de un ZIP sin ZIP64")]
    TooLarge,
    #[error("el ZIP está dañado: {0}")]
    Damaged(&'static str),
}

/// MS-DOS date and time of `date` (`AAAA-MM-DD`) at noon.
fn dos_stamp(date: &str) -> (u16, u16) {
    let mut parts = date.split('-').map(|p| p.parse::<u16>().unwrap_or(1));
    let year = parts.next().unwrap_or(1980).clamp(1980, 2107);
    let month = parts.next().unwrap_or(1).clamp(1, 12);
    let day = parts.next().unwrap_or(1).clamp(1, 31);
    ((12 << 11), ((year - 1980) << 9) | (month << 5) | day)
}

/// `bag` in a ZIP under the folder `root/`, entries stored, stamped `date`.
pub fn zip(bag: &Bag, root: &str, date: &str) -> Result<Vec<u8>, ZipError> {
    let (time, day) = dos_stamp(date);
    let mut out: Vec<u8> = Vec::new();
    let mut central: Vec<u8> = Vec::new();
    let small = |n: usize| u32::try_from(n).map_err(|_| ZipError::TooLarge);
    for (path, bytes) in &bag.files {
        let name = format!("{root}/{path}");
        let crc = crc32fast::hash(bytes);
        let offset = small(out.len())?;
        let size = small(bytes.len())?;
        let name_len = u16::try_from(name.len()).map_err(|_| ZipError::TooLarge)?;
        // Local file header; bit 11: the name is UTF-8.
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [20u16, 0x0800, 0, time, day] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(bytes);
        // Its central directory entry (made by Unix, mode 0644).
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for v in [0x0314u16, 20, 0x0800, 0, time, day] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [name_len, 0, 0, 0, 0] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let entries = u16::try_from(bag.files.len()).map_err(|_| ZipError::TooLarge)?;
    let central_offset = small(out.len())?;
    let central_size = small(central.len())?;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, entries, entries] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    small(out.len())?;
    Ok(out)
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, ZipError> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or(ZipError::Damaged("termina antes de tiempo"))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, ZipError> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(ZipError::Damaged("termina antes de tiempo"))
}

/// The entries of a ZIP of stored entries (as [`zip`] writes them), by
/// name, each checked against its CRC-32.
pub fn unzip(bytes: &[u8]) -> Result<BTreeMap<String, Bytes>, ZipError> {
    let end = (0..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes[i..].starts_with(&0x0605_4b50u32.to_le_bytes()))
        .ok_or(ZipError::Damaged("no tiene directorio central"))?;
    let entries = u16_at(bytes, end + 10)? as usize;
    let mut at = u32_at(bytes, end + 16)? as usize;
    let mut out = BTreeMap::new();
    for _ in 0..entries {
        if u32_at(bytes, at)? != 0x0201_4b50 {
            return Err(ZipError::Damaged(
                "una entrada del directorio central no es válida",
            ));
        }
        if u16_at(bytes, at + 10)? != 0 {
            return Err(ZipError::Damaged("tiene entradas comprimidas"));
        }
        let crc = u32_at(bytes, at + 16)?;
        let size = u32_at(bytes, at + 20)? as usize;
        let name_len = u16_at(bytes, at + 28)? as usize;
        let extra = u16_at(bytes, at + 30)? as usize;
        let comment = u16_at(bytes, at + 32)? as usize;
        let local = u32_at(bytes, at + 42)? as usize;
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or(ZipError::Damaged("termina antes de tiempo"))?;
        let name = String::from_utf8(name.to_vec())
            .map_err(|_| ZipError::Damaged("un nombre no es UTF-8"))?;
        let data_at =
            local + 30 + u16_at(bytes, local + 26)? as usize + u16_at(bytes, local + 28)? as usize;
        let data = bytes
            .get(data_at..data_at + size)
            .ok_or(ZipError::Damaged("termina antes de tiempo"))?;
        if crc32fast::hash(data) != crc {
            return Err(ZipError::Damaged("una entrada no coincide con su CRC-32"));
        }
        out.insert(name, Bytes::copy_from_slice(data));
        at += 46 + name_len + extra + comment;
    }
    Ok(out)
}

/// The bag inside an unzipped package whose entries are under `root/`.
pub fn bag_in(entries: BTreeMap<String, Bytes>, root: &str) -> Bag {
    let prefix = format!("{root}/");
    Bag {
        files: entries
            .into_iter()
            .filter_map(|(name, bytes)| name.strip_prefix(&prefix).map(|p| (p.to_string(), bytes)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Bag {
        build(
            &[
                (
                    "informe-de-actividades.pdf".into(),
                    Bytes::from_static(b"%PDF-1.7 informe"),
                ),
                (
                    "documentos/minuta 100%.txt".into(),
                    Bytes::from_static(b"texto"),
                ),
            ],
            &[
                ("Source-Organization", "STL de Jalisco".into()),
                ("External-Description", "Entrega\nrecepción".into()),
            ],
        )
    }

    #[test]
    fn a_built_bag_validates_and_lists_every_file_with_its_hash() {
        let bag = sample();
        validate(&bag).unwrap();
        let manifest = String::from_utf8(bag.files["manifest-sha256.txt"].to_vec()).unwrap();
        assert!(manifest.contains(&format!(
            "{}  data/informe-de-actividades.pdf\n",
            Sha256::digest(b"%PDF-1.7 informe")
        )));
        assert!(
            manifest.contains("data/documentos/minuta 100%25.txt"),
            "{manifest}"
        );
        let info = String::from_utf8(bag.files["bag-info.txt"].to_vec()).unwrap();
        assert!(info.contains("Payload-Oxum: 21.2\n"), "{info}");
        assert!(
            info.contains("External-Description: Entrega recepción\n"),
            "{info}"
        );
    }

    #[test]
    fn a_changed_missing_or_extra_file_fails_validation() {
        let mut changed = sample();
        changed.files.insert(
            "data/informe-de-actividades.pdf".into(),
            Bytes::from_static(b"%PDF-1.7 otro"),
        );
        let problems = validate(&changed).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("no tiene la huella")),
            "{problems:?}"
        );

        let mut missing = sample();
        missing.files.remove("data/documentos/minuta 100%.txt");
        let problems = validate(&missing).unwrap_err();
        assert!(
            problems.iter().any(|p| p.starts_with("falta data/")),
            "{problems:?}"
        );

        let mut extra = sample();
        extra
            .files
            .insert("data/colado.exe".into(), Bytes::from_static(b"MZ"));
        let problems = validate(&extra).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("no está en el manifiesto")),
            "{problems:?}"
        );
    }

    #[test]
    fn the_zip_round_trips_and_is_the_same_bytes_every_time() {
        let bag = sample();
        let one = zip(&bag, "entrega-2026-ER-01", "2026-12-03").unwrap();
        let two = zip(&bag, "entrega-2026-ER-01", "2026-12-03").unwrap();
        assert_eq!(one, two);
        let back = bag_in(unzip(&one).unwrap(), "entrega-2026-ER-01");
        assert_eq!(back.files, bag.files);
        validate(&back).unwrap();

        let mut damaged = one.clone();
        let at = damaged.windows(5).position(|w| w == b"texto").unwrap();
        damaged[at] ^= 1;
        assert!(matches!(unzip(&damaged), Err(ZipError::Damaged(_))));
    }

    #[test]
    fn the_zip_is_read_by_python_s_zipfile() {
        // An independent reader: CPython's zipfile, when python3 is here.
        let Ok(python) = which_python() else { return };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paquete.zip");
        std::fs::write(&path, zip(&sample(), "bolsa", "2026-12-03").unwrap()).unwrap();
        let out = std::process::Command::new(python)
            .arg("-c")
            .arg("import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print('\\n'.join(sorted(z.namelist())))")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let names = String::from_utf8(out.stdout).unwrap();
        assert!(names.contains("bolsa/bagit.txt"), "{names}");
        assert!(
            names.contains("bolsa/data/documentos/minuta 100%.txt"),
            "{names}"
        );
    }

    fn which_python() -> Result<&'static str, ()> {
        ["python3", "/usr/bin/python3"]
            .into_iter()
            .find(|p| {
                std::process::Command::new(p)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .ok_or(())
    }
}
