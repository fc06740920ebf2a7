//! Generated public records for benchmarks at scale: the rows the archive
//! writes when it archives a signed record (log entry, object, record, its
//! title words), without the PDFs. Used by the archive's records bench and
//! the public site's bench; never by the service itself.

use rubrica_platform::{Database, Settings};

use crate::digest::Digest32;
use crate::log::{LeafEntry, TransparencyLog};

/// The kinds the generated records take, in turn.
pub const KINDS: [&str; 3] = ["acta", "minuta", "convocatoria"];

/// Writes `n` records, spread over `secretariats`, in one transaction, and
/// signs the log's head over them with the archive's key (generated under
/// `data_dir` if missing), so inclusion proofs work as for real records.
pub async fn fill(db: &Database, settings: &Settings, n: i64, secretariats: &[&str]) {
    let log = TransparencyLog::new(crate::key::load(settings, true).unwrap()).unwrap();
    let mut leaves = Vec::with_capacity(n as usize);
    let mut tx = db.begin_write().await.unwrap();
    let signers = serde_json::json!([
        { "name": "MARÍA GONZÁLEZ RUIZ", "seat": "Órgano garante", "role": "Titular", "certificate_number": "30001000000500003416", "signing_time": "2026-12-07T18:00:00Z", "verdict": "valida" },
        { "name": "JUAN PÉREZ LÓPEZ", "seat": "Academia", "role": "Titular", "certificate_number": "30001000000500003417", "signing_time": "2026-12-07T18:05:00Z", "verdict": "valida" }
    ])
    .to_string();
    for i in 0..n {
        let sha = format!("{:064x}", i as u128 * 2_654_435_761 + 1);
        let kind = KINDS[(i % 3) as usize];
        let secretariat = secretariats[i as usize % secretariats.len()];
        let year = 2016 + (i % 11);
        let date = format!("{year}-{:02}-{:02}", 1 + (i % 12), 1 + (i % 28));
        let title = format!("Acta de la sesión ordinaria número {i} del secretariado");
        let leaf = LeafEntry {
            sha256: Digest32::parse(&sha).unwrap(),
            kind: kind.to_string(),
            created_at: i,
        }
        .leaf_hash();
        leaves.push(leaf);
        sqlx::query("INSERT INTO archive_log_entries (log_index, leaf_hash, sha256, kind, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(i)
            .bind(hex::encode(leaf))
            .bind(&sha)
            .bind(kind)
            .bind(i)
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("INSERT INTO archive_objects (sha256, log_index, size_bytes, media_type, kind, title, secretariat_id, metadata, published, source, created_at) VALUES ($1, $2, 430000, 'application/pdf', $3, $4, $5, '{}', 1, 'signing', $2)")
            .bind(&sha)
            .bind(i)
            .bind(kind)
            .bind(&title)
            .bind(secretariat)
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("INSERT INTO archive_records (sha256, route_id, secretariat_id, secretariat_name, kind, folio, title, record_date, record_year, size_bytes, signers, refusals, archived_at) VALUES ($1, $2, $3, 'Secretariado Técnico Local', $4, $5, $6, $7, $8, 430000, $9, '[]', $10)")
            .bind(&sha)
            .bind(format!("ruta-{i}"))
            .bind(secretariat)
            .bind(kind)
            .bind(format!("STL-{year}-{i:06}"))
            .bind(&title)
            .bind(&date)
            .bind(year)
            .bind(&signers)
            .bind(i)
            .execute(&mut *tx)
            .await
            .unwrap();
        for word in crate::records::title_words(&title) {
            sqlx::query("INSERT INTO archive_record_words (word, sha256) VALUES ($1, $2)")
                .bind(&word)
                .bind(&sha)
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query("INSERT INTO archive_word_counts (word, records) VALUES ($1, 1) ON CONFLICT (word) DO UPDATE SET records = archive_word_counts.records + 1")
                .bind(word)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
    }
    let head = log.sign(n as u64, &rubrica_translog::root(&leaves));
    crate::db::insert_head(&mut tx, &head).await.unwrap();
    tx.commit().await.unwrap();
}
