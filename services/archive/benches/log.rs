//! The archive's log under load, on SQLite in a temporary folder:
//! `cargo bench -p rubrica-archive --bench log` (`-- 100000` for the size).
//!
//! 1. Appends through `Archive::ingest` (object fsynced, serialised
//!    transaction, head signed, audit entry) on an empty log.
//! 2. Fills the log to N entries directly in SQL (the same leaves and
//!    signed heads the archive would write), then measures what a fresh
//!    process pays: loading and checking the whole log, inclusion and
//!    consistency proofs through the archive (database + memory), the same
//!    proofs from the in-memory tree alone and from `rubrica_translog`'s
//!    reference functions (which rehash every leaf), and appends at N.
//!
//! Prints a table; asserts nothing about time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rubrica_archive::archive::{Deposit, EntryRef};
use rubrica_archive::db::{self, EntryRow, HeadRow, ObjectRow};
use rubrica_archive::digest::Sha256;
use rubrica_archive::log::LeafEntry;
use rubrica_archive::tree::MerkleTree;
use rubrica_archive::{Archive, MIGRATOR};
use rubrica_platform::events::Subscriptions;
use rubrica_platform::{Database, Outbox, ServiceContext, ServiceName, Settings};
use rubrica_translog::LogSigner;

async fn context(settings: &Arc<Settings>) -> ServiceContext {
    let db = Database::open(ServiceName::Archive, settings, &MIGRATOR)
        .await
        .expect("the bench database opens");
    ServiceContext {
        name: ServiceName::Archive,
        db,
        outbox: Outbox::new(
            ServiceName::Archive,
            Arc::new(Subscriptions::new(settings)),
            Arc::new(tokio::sync::Notify::new()),
        ),
        settings: settings.clone(),
        http: reqwest::Client::new(),
        compute: Default::default(),
        background: Default::default(),
    }
}

fn deposit(i: u64) -> Deposit {
    Deposit {
        source: ServiceName::Signing,
        kind: "acta".into(),
        media_type: "application/octet-stream".into(),
        title: None,
        secretariat_id: Some("stl-bench".into()),
        published: true,
        metadata: serde_json::json!({ "i": i }),
        content: format!("objeto de prueba {i} {}", "x".repeat(1000)).into(),
        expected_sha256: None,
    }
}

fn per_op(total: Duration, n: u64) -> String {
    format!("{:.3} ms", total.as_secs_f64() * 1000.0 / n as f64)
}

fn main() {
    let target: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(target));
}

async fn run(target: u64) {
    let dir = tempfile::tempdir().unwrap();
    let settings = Arc::new(rubrica_platform::testing::settings(dir.path(), None));
    let ctx = context(&settings).await;
    let archive = Archive::new(ctx.clone());

    // 1. Appends on an empty log.
    let appends = 1_000u64;
    let started = Instant::now();
    for i in 0..appends {
        archive.ingest(deposit(i)).await.expect("ingest");
    }
    let elapsed = started.elapsed();
    println!(
        "append (ingest, fsync, SQLite), {appends} on an empty log: {:.0}/s, {} each",
        appends as f64 / elapsed.as_secs_f64(),
        per_op(elapsed, appends)
    );

    // 2. Fill to `target` entries in SQL, as the archive would.
    let pkcs8 = std::fs::read(rubrica_archive::key::generated_key_path(&settings)).unwrap();
    let signer = LogSigner::from_pkcs8(&pkcs8).unwrap();
    let public_key = hex::encode(signer.public_key());
    let mut tree = MerkleTree::new();
    let mut conn = ctx.db.pool().acquire().await.unwrap();
    for row in db::entries(&mut conn, 0, appends as i64).await.unwrap() {
        tree.push(rubrica_archive::log::leaf_of(&row).unwrap());
    }
    drop(conn);
    let started = Instant::now();
    let mut next = appends;
    while next < target {
        let mut tx = ctx.begin().await.unwrap();
        for _ in 0..5_000.min(target - next) {
            let sha256 = Sha256::digest(format!("relleno {next}").as_bytes());
            let entry = LeafEntry {
                sha256,
                kind: "acta".into(),
                created_at: 1_795_000_000_000 + next as i64,
            };
            let leaf = entry.leaf_hash();
            tree.push(leaf);
            let head = signer.sign(next + 1, &tree.root(next + 1).unwrap(), 1_795_000_000_000);
            db::insert_entry(
                &mut tx,
                &EntryRow {
                    log_index: next as i64,
                    leaf_hash: hex::encode(leaf),
                    sha256: sha256.to_hex(),
                    kind: entry.kind.clone(),
                    created_at: entry.created_at,
                },
            )
            .await
            .unwrap();
            db::insert_object(
                &mut tx,
                &ObjectRow {
                    sha256: sha256.to_hex(),
                    log_index: next as i64,
                    size_bytes: 1,
                    media_type: "application/octet-stream".into(),
                    kind: "acta".into(),
                    title: None,
                    secretariat_id: None,
                    metadata: "{}".into(),
                    published: true,
                    source: "signing".into(),
                    created_at: entry.created_at,
                },
            )
            .await
            .unwrap();
            db::insert_head(
                &mut tx,
                &HeadRow {
                    tree_size: head.size as i64,
                    root_hash: head.root,
                    signed_at: head.timestamp as i64,
                    signature: head.signature,
                    public_key: public_key.clone(),
                },
            )
            .await
            .unwrap();
            next += 1;
        }
        tx.commit().await.unwrap();
    }
    println!(
        "filled to {target} entries in SQL in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // A fresh process: the tree is loaded and checked on first use.
    let fresh = Archive::new(ctx.clone());
    let started = Instant::now();
    let head = fresh.current_head().await.unwrap();
    println!(
        "cold start at {} entries (load, rehash and check every leaf against the signed head): {:.0} ms; memory ≈ {:.1} MB",
        head.tree_size,
        started.elapsed().as_secs_f64() * 1000.0,
        (2 * target * 32) as f64 / 1e6
    );

    let samples = 1_000u64;
    let started = Instant::now();
    for i in 0..samples {
        let index = (i * 7_919) % target;
        fresh.inclusion(EntryRef::Index(index), None).await.unwrap();
    }
    println!(
        "inclusion proof through the archive (3 queries + memory), {samples} at {target}: {} each",
        per_op(started.elapsed(), samples)
    );
    let started = Instant::now();
    for i in 0..samples {
        let first = 1 + (i * 7_919) % target;
        fresh.consistency(first, None).await.unwrap();
    }
    println!(
        "consistency proof through the archive, {samples} at {target}: {} each",
        per_op(started.elapsed(), samples)
    );

    let memory_samples = 100_000u64;
    let started = Instant::now();
    for i in 0..memory_samples {
        let index = (i * 7_919) % target;
        std::hint::black_box(tree.inclusion_proof(index, target).unwrap());
    }
    println!(
        "inclusion proof from the in-memory tree alone: {:.2} µs each",
        started.elapsed().as_secs_f64() * 1e6 / memory_samples as f64
    );
    let leaves: Vec<_> = (0..target).map(|i| tree.leaf(i).unwrap()).collect();
    let reference_samples = 20u64;
    let started = Instant::now();
    for i in 0..reference_samples {
        let index = (i * 7_919) % target;
        std::hint::black_box(rubrica_translog::inclusion_proof(&leaves, index).unwrap());
    }
    println!(
        "inclusion proof recomputed from all leaves (rubrica_translog reference): {} each",
        per_op(started.elapsed(), reference_samples)
    );

    let more = 300u64;
    let started = Instant::now();
    for i in 0..more {
        fresh.ingest(deposit(target + i)).await.expect("ingest");
    }
    let elapsed = started.elapsed();
    println!(
        "append at {target} entries, {more} more: {:.0}/s, {} each",
        more as f64 / elapsed.as_secs_f64(),
        per_op(elapsed, more)
    );
}
