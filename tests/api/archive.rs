//! The archive as its clients see it: content-addressed storage, the signed
//! Merkle log and its proofs (checked here with the translog library, as an
//! outside verifier would), restarts, public verification, downloads, and
//! `rubrica verify FILE --log URL`.

use std::path::{Path, PathBuf};

use base64::Engine;
use reqwest::StatusCode;
use rubrica_archive::digest::{Digest32, Sha256};
use rubrica_archive::log::LeafEntry;
use rubrica_archive::model::{ConsistencyProof, InclusionProof, PublicKey, SignedTreeHead};
use rubrica_archive::settings::ArchiveSettings;
use rubrica_platform::testing::TestBackend;
use rubrica_platform::{Problem, ServiceName};
use rubrica_translog::{Hash, LogSigner, LogVerifier, verify_consistency, verify_inclusion};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestData, spawn_suite, spawn_with};

fn base(app: &TestApp) -> String {
    app.url(ServiceName::Archive)
}

/// Archives `content` through the internal entry point.
async fn archive(
    app: &TestApp,
    content: &[u8],
    kind: &str,
    published: bool,
) -> (StatusCode, Value) {
    archive_with(
        app,
        json!({
            "source": "signing",
            "kind": kind,
            "media_type": "application/octet-stream",
            "title": format!("Prueba {kind}"),
            "secretariat_id": "stl-jalisco",
            "published": published,
            "metadata": { "folio": "STL-2026-001" },
            "content_base64": base64::engine::general_purpose::STANDARD.encode(content),
        }),
    )
    .await
}

async fn archive_with(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let response = app
        .client
        .post(format!("{}/internal/objects", base(app)))
        .bearer_auth(app.internal_token())
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn get<T: serde::de::DeserializeOwned>(app: &TestApp, path: &str) -> T {
    let response = app
        .client
        .get(format!("{}{path}", base(app)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

async fn head(app: &TestApp) -> SignedTreeHead {
    get(app, "/log/head").await
}

async fn public_key(app: &TestApp) -> Vec<u8> {
    let key: PublicKey = get(app, "/log/public-key").await;
    hex::decode(key.public_key).unwrap()
}

fn hashes(hexes: &[String]) -> Vec<Hash> {
    rubrica_archive::archive::parse_hashes(hexes).unwrap()
}

fn root(head: &SignedTreeHead) -> Hash {
    head.tree_head().root_hash().unwrap()
}

/// What an outside verifier does with a proof for the file whose SHA-256 is
/// `sha256`.
fn check_inclusion(sha256: &Digest32, proof: &InclusionProof, key: &[u8]) -> Result<(), String> {
    LogVerifier::new(key)
        .unwrap()
        .verify(&proof.tree_head.tree_head())
        .map_err(|e| e.to_string())?;
    let leaf = LeafEntry {
        sha256: *sha256,
        kind: proof.entry.kind.clone(),
        created_at: proof.entry.created_at,
    }
    .leaf_hash();
    verify_inclusion(
        &leaf,
        proof.entry.index,
        proof.tree_size,
        &hashes(&proof.proof),
        &root(&proof.tree_head),
    )
    .map_err(|e| e.to_string())
}

/// Every file under the local object store.
fn stored_files(data_dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&data_dir.join("archive/objects"), &mut out);
    out
}

#[tokio::test]
async fn the_same_bytes_archived_twice_are_one_object_and_one_log_entry() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn_suite(&data).await;
        let content = b"%PDF-1.7 acta de la primera sesion ordinaria";

        let (first_status, first) = archive(&app, content, "acta", true).await;
        let (second_status, second) = archive_with(
            &app,
            json!({
                "source": "documents",
                "kind": "minuta",
                "content_base64": base64::engine::general_purpose::STANDARD.encode(content),
            }),
        )
        .await;
        let (other_status, other) = archive(&app, b"otro documento", "acta", true).await;

        assert_eq!(first_status, 201, "{} {first}", backend.label());
        assert_eq!(first["already_archived"], false);
        assert_eq!(second_status, 200, "{second}");
        assert_eq!(second["already_archived"], true);
        // The first archiving stands: same entry, same kind and metadata.
        assert_eq!(second["inclusion"]["entry"], first["inclusion"]["entry"]);
        assert_eq!(second["object"]["kind"], "acta");
        assert_eq!(second["object"]["metadata"]["folio"], "STL-2026-001");
        assert_eq!(other_status, 201);
        assert_eq!(other["inclusion"]["entry"]["index"], 1);
        assert_eq!(
            first["object"]["sha256"],
            Sha256::digest(content).to_hex(),
            "content-addressed"
        );
        assert_eq!(head(&app).await.tree_size, 2);
        let entries: Value = get(&app, "/log/entries?start=0&end=10").await;
        assert_eq!(entries["entries"].as_array().unwrap().len(), 2);
        let files = stored_files(data.dir.path());
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(
            files
                .iter()
                .any(
                    |f| f.ends_with(rubrica_archive::digest::object_path(&Sha256::digest(
                        content
                    )))
                ),
            "{files:?}"
        );
        app.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn a_stored_object_is_never_overwritten_even_by_its_own_bytes() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn_suite(&data).await;
        let content = b"registro original";
        archive(&app, content, "acta", true).await;
        let file =
            data.dir
                .path()
                .join("archive/objects")
                .join(rubrica_archive::digest::object_path(&Sha256::digest(
                    content,
                )));
        // Someone alters the stored bytes behind the archive's back.
        std::fs::write(&file, b"registro alterado").unwrap();

        let (again, _) = archive(&app, content, "acta", true).await;
        let download = app
            .client
            .get(format!(
                "{}/objects/{}",
                base(&app),
                Sha256::digest(content)
            ))
            .send()
            .await
            .unwrap();

        // Refused loudly, and the evidence is left as it was found.
        assert_eq!(again, 500, "{}", backend.label());
        assert_eq!(download.status(), 500);
        assert_eq!(std::fs::read(&file).unwrap(), b"registro alterado");
        assert_eq!(head(&app).await.tree_size, 1);
        app.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn inclusion_and_consistency_proofs_verify_locally_and_fail_for_a_wrong_leaf() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn_suite(&data).await;
        let contents: Vec<Vec<u8>> = (0..7)
            .map(|i| format!("acta número {i}").into_bytes())
            .collect();
        let mut heads = Vec::new();
        for content in &contents {
            let (status, body) = archive(&app, content, "acta", true).await;
            assert_eq!(status, 201, "{body}");
            heads.push(head(&app).await);
        }
        let key = public_key(&app).await;
        let verifier = LogVerifier::new(&key).unwrap();

        for (i, content) in contents.iter().enumerate() {
            let sha256 = Sha256::digest(content);
            let by_hash: InclusionProof =
                get(&app, &format!("/log/inclusion?sha256={sha256}")).await;
            let by_index: InclusionProof = get(&app, &format!("/log/inclusion?index={i}")).await;
            assert_eq!(by_hash, by_index);
            assert_eq!(by_hash.entry.index, i as u64);
            assert_eq!(check_inclusion(&sha256, &by_hash, &key), Ok(()), "{i}");
            // A proof for this entry does not prove any other file.
            let foreign = Sha256::digest(b"un archivo ajeno");
            assert!(check_inclusion(&foreign, &by_hash, &key).is_err());
            let mut moved = by_hash.clone();
            moved.entry.index = (i as u64 + 1) % 7;
            assert!(check_inclusion(&sha256, &moved, &key).is_err());
            // Against the head of the moment it was archived, too.
            let then: InclusionProof = get(
                &app,
                &format!("/log/inclusion?sha256={sha256}&tree_size={}", i + 1),
            )
            .await;
            assert_eq!(then.tree_head, heads[i]);
            assert_eq!(check_inclusion(&sha256, &then, &key), Ok(()));
        }

        for first in 1..=7u64 {
            for second in first..=7u64 {
                let proof: ConsistencyProof = get(
                    &app,
                    &format!("/log/consistency?first={first}&second={second}"),
                )
                .await;
                assert_eq!(proof.first_head, heads[first as usize - 1]);
                assert_eq!(proof.second_head, heads[second as usize - 1]);
                verifier.verify(&proof.first_head.tree_head()).unwrap();
                verifier.verify(&proof.second_head.tree_head()).unwrap();
                let path = hashes(&proof.proof);
                let (old, new) = (root(&proof.first_head), root(&proof.second_head));
                assert_eq!(
                    verify_consistency(first, second, &old, &new, &path),
                    Ok(()),
                    "{first} -> {second}"
                );
                if first < second {
                    let mut rewritten = old;
                    rewritten[0] ^= 1;
                    assert!(verify_consistency(first, second, &rewritten, &new, &path).is_err());
                }
            }
        }

        let problem: Problem = app
            .client
            .get(format!("{}/log/inclusion?index=3&tree_size=3", base(&app)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(problem.status, 422);
        assert!(problem.detail.contains("tamaño"), "{}", problem.detail);
        let missing = app
            .client
            .get(format!(
                "{}/log/inclusion?sha256={}",
                base(&app),
                Sha256::digest(b"nunca archivado")
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
        for bad in [
            "/log/inclusion",
            "/log/inclusion?sha256=abc",
            "/log/consistency?first=0",
            "/log/consistency?first=5&second=4",
            "/log/consistency?first=1&second=99",
        ] {
            let response = app
                .client
                .get(format!("{}{bad}", base(&app)))
                .send()
                .await
                .unwrap();
            assert!(response.status().is_client_error(), "{bad}");
        }
        app.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn every_tree_head_is_signed_with_a_key_kept_only_in_a_private_file() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn_suite(&data).await;
        let empty = head(&app).await;
        archive(&app, b"acta", "acta", true).await;
        let one = head(&app).await;

        let key_file = data.dir.path().join("archive/log-key.pk8");
        let pkcs8 = std::fs::read(&key_file).unwrap();
        let signer = LogSigner::from_pkcs8(&pkcs8).unwrap();
        let published = public_key(&app).await;
        assert_eq!(published, signer.public_key(), "{}", backend.label());
        let verifier = LogVerifier::new(&published).unwrap();
        assert_eq!(empty.tree_size, 0);
        verifier.verify(&empty.tree_head()).unwrap();
        verifier.verify(&one.tree_head()).unwrap();
        assert_eq!(one.public_key, hex::encode(&published));
        let mut forged = one.tree_head();
        forged.size = 2;
        assert!(verifier.verify(&forged).is_err());
        let signed = base64::engine::general_purpose::STANDARD
            .decode(&one.signed_bytes)
            .unwrap();
        assert_eq!(
            signed,
            rubrica_translog::TreeHead::signed_bytes(one.tree_size, one.timestamp, &root(&one))
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        // Nothing of the private key is in the archive's database.
        let seed = &pkcs8[16..48];
        let secrets = [
            hex::encode(&pkcs8),
            hex::encode(seed),
            base64::engine::general_purpose::STANDARD.encode(&pkcs8),
            base64::engine::general_purpose::STANDARD.encode(seed),
        ];
        let pool = app.context(ServiceName::Archive).db.pool();
        for (table, columns) in [
            ("archive_tree_heads", "root_hash || signature || public_key"),
            ("archive_log_entries", "leaf_hash || sha256 || kind"),
            ("archive_objects", "sha256 || metadata || kind || source"),
            ("audit_log", "details || action || actor_id"),
        ] {
            let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {columns} FROM {table}"
            )))
            .fetch_all(pool)
            .await
            .unwrap();
            assert!(!rows.is_empty(), "{table}");
            for (text,) in rows {
                for secret in &secrets {
                    assert!(!text.contains(secret.as_str()), "{table} holds the key");
                }
            }
        }
        app.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn after_a_restart_the_log_continues_consistently_with_its_earlier_head() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn_suite(&data).await;
        for i in 0..3 {
            archive(&app, format!("antes {i}").as_bytes(), "acta", true).await;
        }
        let before = head(&app).await;
        let key_before = public_key(&app).await;
        app.stop().await;

        let app = spawn_suite(&data).await;
        let after_restart = head(&app).await;
        let inclusion: InclusionProof = get(
            &app,
            &format!("/log/inclusion?sha256={}", Sha256::digest(b"antes 1")),
        )
        .await;
        for i in 0..2 {
            archive(&app, format!("después {i}").as_bytes(), "minuta", true).await;
        }
        let later = head(&app).await;
        let proof: ConsistencyProof = get(
            &app,
            &format!(
                "/log/consistency?first={}&second={}",
                before.tree_size, later.tree_size
            ),
        )
        .await;

        assert_eq!(after_restart, before, "{}", backend.label());
        assert_eq!(public_key(&app).await, key_before);
        assert_eq!(
            check_inclusion(&Sha256::digest(b"antes 1"), &inclusion, &key_before),
            Ok(())
        );
        assert_eq!(later.tree_size, 5);
        assert_eq!(proof.first_head, before);
        verify_consistency(
            before.tree_size,
            later.tree_size,
            &root(&before),
            &root(&later),
            &hashes(&proof.proof),
        )
        .unwrap();
        LogVerifier::new(&key_before)
            .unwrap()
            .verify(&later.tree_head())
            .unwrap();
        app.stop().await;
        data.cleanup().await;
    }
}

// Two replicas on one database (and one data folder, so one key and one
// object store): appends from both, at the same time, form one log without
// gaps, and each replica proves what the other appended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_appending_at_once_keep_one_log_without_gaps() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let first = spawn_suite(&data).await;
        let second = spawn_suite(&data).await;
        let key = public_key(&first).await;
        assert_eq!(public_key(&second).await, key, "{}", backend.label());

        let mut tasks = Vec::new();
        for i in 0..12 {
            let (client, url, token) = if i % 2 == 0 {
                (
                    first.client.clone(),
                    base(&first),
                    first.internal_token().to_string(),
                )
            } else {
                (
                    second.client.clone(),
                    base(&second),
                    second.internal_token().to_string(),
                )
            };
            tasks.push(tokio::spawn(async move {
                let response = client
                    .post(format!("{url}/internal/objects"))
                    .bearer_auth(token)
                    .json(&json!({
                        "source": "signing",
                        "kind": "acta",
                        "content_base64": base64::engine::general_purpose::STANDARD
                            .encode(format!("réplica {i}")),
                    }))
                    .send()
                    .await
                    .unwrap();
                response.status()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), 201);
        }

        let (one, two) = (head(&first).await, head(&second).await);
        assert_eq!(one, two);
        assert_eq!(one.tree_size, 12);
        let entries: Value = get(&first, "/log/entries?start=0&end=12").await;
        let indexes: Vec<u64> = entries["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["index"].as_u64().unwrap())
            .collect();
        assert_eq!(indexes, (0..12).collect::<Vec<_>>());
        for i in 0..12 {
            let sha256 = Sha256::digest(format!("réplica {i}").as_bytes());
            for app in [&first, &second] {
                let proof: InclusionProof =
                    get(app, &format!("/log/inclusion?sha256={sha256}")).await;
                assert_eq!(check_inclusion(&sha256, &proof, &key), Ok(()), "{i}");
            }
        }
        for size in 1..12u64 {
            let proof: ConsistencyProof =
                get(&second, &format!("/log/consistency?first={size}")).await;
            verify_consistency(
                size,
                12,
                &root(&proof.first_head),
                &root(&one),
                &hashes(&proof.proof),
            )
            .unwrap();
        }
        first.stop().await;
        second.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn a_log_row_altered_in_the_database_makes_the_archive_refuse_to_prove() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn_suite(&data).await;
        archive(&app, b"acta 1", "acta", true).await;
        archive(&app, b"acta 2", "acta", true).await;
        sqlx::query("UPDATE archive_log_entries SET kind = 'minuta' WHERE log_index = 0")
            .execute(app.context(ServiceName::Archive).db.pool())
            .await
            .unwrap();

        let running: Problem = app
            .client
            .get(format!("{}/log/inclusion?index=0", base(&app)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        app.stop().await;
        let app = spawn_suite(&data).await;
        let restarted = app
            .client
            .get(format!("{}/log/inclusion?index=1", base(&app)))
            .send()
            .await
            .unwrap();

        assert_eq!(running.status, 503, "{}", backend.label());
        assert!(running.detail.contains("alterado"), "{}", running.detail);
        // A fresh process rebuilds the tree from the rows and finds the
        // root no longer matches the signed head.
        assert_eq!(restarted.status(), 503);
        let problem: Problem = restarted.json().await.unwrap();
        assert!(problem.detail.contains("alterado"), "{}", problem.detail);
        app.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn public_verification_of_a_hash_reports_archived_and_foreign_files() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn_suite(&data).await;
        archive(&app, b"acta publica", "acta", true).await;
        archive(&app, b"paquete privado", "paquete_entrega", false).await;
        let key = public_key(&app).await;
        let ask = |sha256: String| {
            let client = app.client.clone();
            let url = format!("{}/verify/hash", base(&app));
            async move {
                let response = client
                    .post(url)
                    .json(&json!({ "sha256": sha256 }))
                    .send()
                    .await
                    .unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            }
        };

        let (status, public) = ask(Sha256::digest(b"acta publica").to_hex().to_uppercase()).await;
        let (_, private) = ask(Sha256::digest(b"paquete privado").to_hex()).await;
        let (_, foreign) = ask(Sha256::digest(b"ajeno").to_hex()).await;
        let (bad_status, bad) = ask("no es una huella".into()).await;

        assert_eq!(status, 200, "{} {public}", backend.label());
        assert_eq!(public["archived"], true);
        assert!(public["report"].as_str().unwrap().contains("es válida"));
        assert_eq!(public["object"]["metadata"]["folio"], "STL-2026-001");
        assert!(
            public["object"]["download_url"]
                .as_str()
                .unwrap()
                .ends_with(&Sha256::digest(b"acta publica").to_hex())
        );
        let inclusion: InclusionProof =
            serde_json::from_value(public["inclusion"].clone()).unwrap();
        assert_eq!(
            check_inclusion(&Sha256::digest(b"acta publica"), &inclusion, &key),
            Ok(())
        );
        assert_eq!(private["archived"], true);
        assert!(private["object"]["metadata"].is_null());
        assert!(private["object"]["title"].is_null());
        assert!(
            private["report"]
                .as_str()
                .unwrap()
                .contains("No es un registro público")
        );
        assert_eq!(foreign["archived"], false);
        assert!(foreign["inclusion"].is_null());
        assert!(
            foreign["report"]
                .as_str()
                .unwrap()
                .contains("Ningún objeto")
        );
        assert_eq!(foreign["tree_head"]["tree_size"], 2);
        assert_eq!(bad_status, 422);
        assert!(bad["detail"].as_str().unwrap().contains("64 caracteres"));
        app.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn public_records_download_for_anyone_and_private_objects_need_a_session() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn_suite(&data).await;
        archive(&app, b"acta publica", "acta", true).await;
        archive(&app, b"paquete privado", "paquete_entrega", false).await;
        let url = |content: &[u8]| format!("{}/objects/{}", base(&app), Sha256::digest(content));

        let public = app.client.get(url(b"acta publica")).send().await.unwrap();
        let anonymous = app
            .client
            .get(url(b"paquete privado"))
            .send()
            .await
            .unwrap();
        let operator = app
            .client
            .get(url(b"paquete privado"))
            .bearer_auth(
                app.settings
                    .auth
                    .operator_token
                    .as_ref()
                    .map(|s| s.expose())
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let missing = app.client.get(url(b"nada")).send().await.unwrap();
        let malformed = app
            .client
            .get(format!("{}/objects/xyz", base(&app)))
            .send()
            .await
            .unwrap();

        assert_eq!(public.status(), 200, "{}", backend.label());
        assert_eq!(
            public.headers()["etag"],
            format!("\"{}\"", Sha256::digest(b"acta publica")).as_str()
        );
        assert_eq!(public.bytes().await.unwrap().as_ref(), b"acta publica");
        assert_eq!(anonymous.status(), 401);
        let problem: Problem = anonymous.json().await.unwrap();
        assert!(
            problem.detail.contains("inicie sesión"),
            "{}",
            problem.detail
        );
        assert_eq!(operator.status(), 200);
        assert_eq!(operator.bytes().await.unwrap().as_ref(), b"paquete privado");
        assert_eq!(missing.status(), 404);
        assert_eq!(malformed.status(), 400);
        app.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn archiving_needs_the_internal_token_and_bad_input_changes_nothing() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let mut settings = data.settings(data.dir.path());
    settings.edit::<ArchiveSettings>(|a| a.max_object_bytes = 1_000);
    let app = spawn_with(
        &rubrica::all_specs(),
        &ServiceName::ALL,
        settings,
        "127.0.0.1:0",
    )
    .await;
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let valid = json!({ "source": "signing", "kind": "acta", "content_base64": encode(b"x") });

    let anonymous = app
        .client
        .post(format!("{}/internal/objects", base(&app)))
        .json(&valid)
        .send()
        .await
        .unwrap();
    let mut refusals = Vec::new();
    for (body, status, says) in [
        (
            json!({ "source": "signing", "kind": "Acta Final", "content_base64": encode(b"x") }),
            422,
            "tipo",
        ),
        (
            json!({ "source": "signing", "kind": "acta", "content_base64": "%%%" }),
            422,
            "base64",
        ),
        (
            json!({ "source": "signing", "kind": "acta", "content_base64": "" }),
            422,
            "vacío",
        ),
        (
            json!({ "source": "signing", "kind": "acta", "media_type": "application/pdf", "content_base64": encode(b"no soy pdf") }),
            422,
            "PDF",
        ),
        (
            json!({ "source": "signing", "kind": "acta", "media_type": "pdf", "content_base64": encode(b"x") }),
            422,
            "tipo/subtipo",
        ),
        (
            json!({ "source": "signing", "kind": "acta", "metadata": [1], "content_base64": encode(b"x") }),
            422,
            "objeto JSON",
        ),
        (
            json!({ "source": "signing", "kind": "acta", "expected_sha256": Sha256::digest(b"y").to_hex(), "content_base64": encode(b"x") }),
            422,
            "huella",
        ),
        (
            json!({ "source": "nadie", "kind": "acta", "content_base64": encode(b"x") }),
            422,
            "JSON",
        ),
        (
            json!({ "source": "signing", "kind": "acta", "content_base64": encode(&[7u8; 1_001]) }),
            413,
            "1000",
        ),
    ] {
        let (got, problem) = archive_with(&app, body.clone()).await;
        refusals.push((body, got, status, problem, says));
    }

    assert_eq!(anonymous.status(), 401);
    for (body, got, status, problem, says) in refusals {
        assert_eq!(got, status, "{body} → {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{body} → {problem}"
        );
    }
    assert_eq!(head(&app).await.tree_size, 0);
    assert!(stored_files(data.dir.path()).is_empty());
    let (status, _) = archive_with(&app, valid).await;
    assert_eq!(status, 201);
    app.stop().await;
    data.cleanup().await;
}

/// Runs the built `rubrica` binary off the async threads.
async fn rubrica(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_rubrica"))
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

// The CLI calls back into this test's server: a second worker thread keeps
// it answering while the child runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rubrica_verify_finds_an_archived_file_in_the_log_and_not_a_foreign_one() {
    let data = TestData::new(&TestBackend::Sqlite).await;
    let app = spawn_suite(&data).await;
    let archived = data.dir.path().join("paquete.zip");
    std::fs::write(&archived, b"PK paquete de entrega firmado").unwrap();
    let foreign = data.dir.path().join("ajeno.zip");
    std::fs::write(&foreign, b"PK otro paquete").unwrap();
    archive(
        &app,
        b"PK paquete de entrega firmado",
        "paquete_entrega",
        true,
    )
    .await;
    archive(&app, b"relleno", "minuta", true).await;
    let log = format!("http://{}", app.address);
    let key = hex::encode(public_key(&app).await);
    let path = |p: &Path| p.display().to_string();
    let args = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    let included = rubrica(args(&["verify", &path(&archived), "--log", &log])).await;
    let pinned = rubrica(args(&[
        "verify",
        &path(&archived),
        "--log",
        &format!("{log}/archive"),
        "--log-key",
        &key,
        "--json",
    ]))
    .await;
    let wrong_key = rubrica(args(&[
        "verify",
        &path(&archived),
        "--log",
        &log,
        "--log-key",
        &"ab".repeat(32),
    ]))
    .await;
    let not_included = rubrica(args(&["verify", &path(&foreign), "--log", &log])).await;
    let unreadable = rubrica(args(&[
        "verify",
        &path(&data.dir.path().join("no-existe.zip")),
        "--log",
        &log,
    ]))
    .await;

    let text = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert_eq!(included.status.code(), Some(0), "{}", text(&included));
    assert!(text(&included).contains(
        "INCLUIDO: el archivo está en el registro como entrada 0 (tipo «paquete_entrega»"
    ));
    assert!(text(&included).contains("firma Ed25519 válida"));
    assert_eq!(pinned.status.code(), Some(0), "{}", text(&pinned));
    let report: Value = serde_json::from_slice(&pinned.stdout).unwrap();
    assert_eq!(report["log"]["outcome"], "included");
    assert_eq!(report["log"]["key_pinned"], true);
    assert_eq!(report["log"]["tree_size"], 2);
    assert_eq!(wrong_key.status.code(), Some(1), "{}", text(&wrong_key));
    assert!(text(&wrong_key).contains("NO VERIFICADO"));
    assert_eq!(
        not_included.status.code(),
        Some(1),
        "{}",
        text(&not_included)
    );
    assert!(text(&not_included).contains("NO INCLUIDO"));
    assert_eq!(unreadable.status.code(), Some(2), "{}", text(&unreadable));
    assert!(text(&unreadable).contains("no existe"));
    app.stop().await;
}

/// The S3 path, when an S3-compatible server is at hand: `TEST_S3_URL`
/// (`s3://bucket/prefix`), `TEST_S3_ENDPOINT` (e.g. `http://127.0.0.1:8333`),
/// credentials in `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
#[tokio::test]
async fn against_a_real_s3_server_archiving_is_idempotent_and_downloads_match() {
    let Ok(url) = std::env::var("TEST_S3_URL") else {
        eprintln!(
            "OMITIDO: prueba contra S3 (defina TEST_S3_URL=s3://bucket/prefijo y TEST_S3_ENDPOINT para ejecutarla)"
        );
        return;
    };
    let data = TestData::new(&TestBackend::Sqlite).await;
    let key = data.dir.path().join("llave-compartida.pk8");
    std::fs::write(&key, LogSigner::generate().unwrap()).unwrap();
    let mut settings = data.settings(data.dir.path());
    settings.edit::<ArchiveSettings>(|a| {
        a.object_store_url = Some(format!(
            "{}/{}",
            url.trim_end_matches('/'),
            uuid::Uuid::new_v4().simple()
        ));
        a.s3_endpoint = std::env::var("TEST_S3_ENDPOINT").ok();
        a.s3_allow_http = true;
        a.log_key_file = Some(key);
    });
    let app = spawn_with(
        &rubrica::all_specs(),
        &ServiceName::ALL,
        settings,
        "127.0.0.1:0",
    )
    .await;

    let (first, _) = archive(&app, b"acta en S3", "acta", true).await;
    let (second, body) = archive(&app, b"acta en S3", "acta", true).await;
    let download = app
        .client
        .get(format!(
            "{}/objects/{}",
            base(&app),
            Sha256::digest(b"acta en S3")
        ))
        .send()
        .await
        .unwrap();

    assert_eq!(first, 201);
    assert_eq!(second, 200, "{body}");
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"acta en S3");
    assert!(stored_files(data.dir.path()).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn replaced_staged_bytes_are_swept_once_nothing_refers_to_them() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let app = spawn_suite(&data).await;
        let context = app.context(ServiceName::Archive);
        let archive = rubrica_archive::archive::Archive::new(context.clone());
        let replaced = b"%PDF-1.7 informe reemplazado".to_vec();
        let still_used = b"%PDF-1.7 el mismo informe en otra entrega".to_vec();
        let (old, used) = (Sha256::digest(&replaced), Sha256::digest(&still_used));
        archive.stage(&old, replaced.into()).await.unwrap();
        archive.stage(&used, still_used.into()).await.unwrap();
        let db = context.db.pool();
        // Replaced a second ago: inside the hour of grace of the service's
        // own background sweep, which may run at any moment of this test.
        let replaced_at = rubrica_platform::db::now_ms() - 1_000;
        for sha in [old, used] {
            sqlx::query("INSERT INTO archive_staged_garbage (sha256, replaced_at) VALUES ($1, $2)")
                .bind(sha.to_hex())
                .bind(replaced_at)
                .execute(db)
                .await
                .unwrap();
        }
        // The second one is still a file of some handover.
        sqlx::query("INSERT INTO archive_handovers (id, secretariat_id, secretariat_name, folio, member_id, member_name, status, created_at) VALUES ('h-1', 'stl', 'STL', 'ER-1', 'm', 'M', 'abierta', 0)")
            .execute(db)
            .await
            .unwrap();
        sqlx::query("INSERT INTO archive_handover_files (handover_id, path, position, original_name, media_type, size_bytes, sha256, source, added_at) VALUES ('h-1', 'documentos/informe.pdf', 1, 'informe.pdf', 'application/pdf', 10, $1, 'informe', 0)")
            .bind(used.to_hex())
            .execute(db)
            .await
            .unwrap();

        // Within the hour of grace nothing goes.
        assert_eq!(archive.sweep_staged(i64::MAX / 2).await.unwrap(), 0);
        assert!(archive.stored(&old).await.is_ok());

        let deleted = archive.sweep_staged(0).await.unwrap();

        assert_eq!(deleted, 1, "{}", backend.label());
        assert!(
            archive.stored(&old).await.is_err(),
            "the replaced bytes are gone"
        );
        assert!(
            archive.stored(&used).await.is_ok(),
            "bytes still referenced stay"
        );
        let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM archive_staged_garbage")
            .fetch_one(db)
            .await
            .unwrap();
        assert_eq!(left, 0);
        app.stop().await;
        data.cleanup().await;
    }
}
