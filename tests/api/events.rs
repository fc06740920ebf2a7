//! Events between services running as separate servers: delivered at least
//! once over HTTP by the emitter's relay, applied exactly once by the receiver.

use std::time::{Duration, Instant};

use rubrica_platform::events::{Delivery, list_deliveries};
use rubrica_platform::testing::TestBackend;
use rubrica_platform::{
    Event, EventHandler, HandlerFuture, Outbox, ServiceContext, ServiceName, ServiceSpec,
};
use serde_json::json;
use sqlx::AnyConnection;

use crate::helpers::{TestApp, TestData, spawn_with};

/// The receiver's effect: it answers every `prueba.ping` with a `prueba.pong`
/// event of its own, in the same transaction, so "applied once" is a count.
struct Pong {
    outbox: Outbox,
}

impl EventHandler for Pong {
    fn handle<'a>(&'a self, tx: &'a mut AnyConnection, event: &'a Event) -> HandlerFuture<'a> {
        Box::pin(async move {
            self.outbox
                .record(tx, "prueba.pong", &json!({ "ping": event.id }))
                .await
                .map_err(anyhow::Error::new)?;
            Ok(())
        })
    }
}

/// The mail service as it is, plus the test's handler.
fn receiver_spec() -> ServiceSpec {
    let spec = rubrica_mail::spec();
    let original = spec.build.clone();
    spec.with_build(move |context| {
        let mut parts = original(context);
        parts.handlers = parts.handlers.on(
            "prueba.ping",
            Pong {
                outbox: context.outbox.clone(),
            },
        );
        parts
    })
}

async fn start_receiver(data: &TestData, address: &str) -> TestApp {
    let settings = data.settings(&data.subdir("mail"));
    spawn_with(&[receiver_spec()], &[ServiceName::Mail], settings, address).await
}

async fn start_emitter(data: &TestData, receiver: &str) -> TestApp {
    let mut settings = data.settings(&data.subdir("secretariat"));
    settings.services.mail.url = Some(receiver.to_string());
    for event_type in ["prueba.ping", "prueba.desconocido"] {
        settings
            .subscriptions
            .insert(event_type.into(), vec!["mail".into()]);
    }
    spawn_with(
        &[rubrica_secretariat::spec()],
        &[ServiceName::Secretariat],
        settings,
        "127.0.0.1:0",
    )
    .await
}

async fn emit(context: &ServiceContext, event_type: &str) -> Event {
    let mut tx = context.db.pool().begin().await.unwrap();
    let event = context
        .outbox
        .record(&mut tx, event_type, &json!({ "sesion": "2026-ORD-01" }))
        .await
        .unwrap();
    context.outbox.commit(tx).await.unwrap();
    event
}

/// Waits (up to 30 s) until the delivery of `event_id` satisfies `done`.
async fn wait_for(
    context: &ServiceContext,
    event_id: &str,
    done: impl Fn(&Delivery) -> bool,
) -> Delivery {
    let started = Instant::now();
    loop {
        let deliveries = list_deliveries(&context.db, 1000).await.unwrap();
        if let Some(d) = deliveries.iter().find(|d| d.event_id == event_id) {
            if done(d) {
                return d.clone();
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "timed out; last state: {d:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn count(context: &ServiceContext, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(context.db.pool())
        .await
        .unwrap();
    n
}

#[tokio::test]
async fn an_event_reaches_a_receiver_that_was_down_and_is_applied_exactly_once() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        // Arrange: the receiver exists at an address, then goes down.
        let receiver = start_receiver(&data, "127.0.0.1:0").await;
        let address = receiver.address;
        let receiver_url = receiver.url(ServiceName::Mail);
        let token = receiver.internal_token().to_string();
        receiver.stop().await;
        let emitter = start_emitter(&data, &receiver_url).await;
        let secretariat = emitter.context(ServiceName::Secretariat);

        // Act: the event is recorded while the receiver is down.
        let event = emit(secretariat, "prueba.ping").await;

        // The relay keeps trying and records why it failed.
        let failing = wait_for(secretariat, &event.id, |d| d.attempts >= 2).await;
        assert_eq!(failing.status, "pending", "{}", backend.label());
        assert!(
            failing
                .last_error
                .as_deref()
                .unwrap_or("")
                .contains("no respondió"),
            "{failing:?}"
        );

        // The receiver comes back on the same address with the same data.
        let receiver = start_receiver(&data, &address.to_string()).await;
        let delivered = wait_for(secretariat, &event.id, |d| d.status == "delivered").await;
        assert!(delivered.attempts >= 3, "{delivered:?}");
        assert!(delivered.last_error.is_none());

        // Assert: applied once; a repeat of the same event is acknowledged and ignored.
        let mail = receiver.context(ServiceName::Mail);
        assert_eq!(count(mail, "SELECT COUNT(*) FROM inbox_events").await, 1);
        assert_eq!(
            count(
                mail,
                "SELECT COUNT(*) FROM outbox_events WHERE event_type = 'prueba.pong'"
            )
            .await,
            1
        );
        for _ in 0..2 {
            let receipt: serde_json::Value = receiver
                .client
                .post(format!(
                    "{}/internal/events",
                    receiver.url(ServiceName::Mail)
                ))
                .bearer_auth(&token)
                .json(&event)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(receipt["status"], "duplicado");
        }
        assert_eq!(
            count(
                mail,
                "SELECT COUNT(*) FROM outbox_events WHERE event_type = 'prueba.pong'"
            )
            .await,
            1,
            "a repeat must not apply the event again ({})",
            backend.label()
        );

        emitter.stop().await;
        receiver.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn an_event_the_receiver_refuses_becomes_a_dead_letter_without_retries() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let receiver = start_receiver(&data, "127.0.0.1:0").await;
        let emitter = start_emitter(&data, &receiver.url(ServiceName::Mail)).await;
        let secretariat = emitter.context(ServiceName::Secretariat);

        let event = emit(secretariat, "prueba.desconocido").await;

        let dead = wait_for(secretariat, &event.id, |d| d.status != "pending").await;
        assert_eq!(dead.status, "dead", "{}", backend.label());
        assert_eq!(dead.attempts, 1);
        assert!(
            dead.last_error
                .as_deref()
                .unwrap()
                .contains("no recibe eventos de tipo «prueba.desconocido»"),
            "{dead:?}"
        );
        emitter.stop().await;
        receiver.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn an_event_of_a_rolled_back_change_is_never_sent() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let receiver = start_receiver(&data, "127.0.0.1:0").await;
        let emitter = start_emitter(&data, &receiver.url(ServiceName::Mail)).await;
        let secretariat = emitter.context(ServiceName::Secretariat);

        let mut tx = secretariat.db.pool().begin().await.unwrap();
        secretariat
            .outbox
            .record(&mut tx, "prueba.ping", &json!({}))
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        let committed = emit(secretariat, "prueba.ping").await;
        wait_for(secretariat, &committed.id, |d| d.status == "delivered").await;

        assert_eq!(
            count(secretariat, "SELECT COUNT(*) FROM outbox_events").await,
            1
        );
        let mail = receiver.context(ServiceName::Mail);
        assert_eq!(
            count(mail, "SELECT COUNT(*) FROM inbox_events").await,
            1,
            "{}",
            backend.label()
        );
        emitter.stop().await;
        receiver.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn a_delivery_claimed_by_a_replica_that_died_is_taken_over_after_its_lease() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let receiver = start_receiver(&data, "127.0.0.1:0").await;
        let emitter = start_emitter(&data, &receiver.url(ServiceName::Mail)).await;
        let secretariat = emitter.context(ServiceName::Secretariat);

        // A replica claimed the delivery and died before sending it: the row
        // is recorded together with a lease nobody will release.
        let mut tx = secretariat.db.pool().begin().await.unwrap();
        let event = secretariat
            .outbox
            .record(&mut tx, "prueba.ping", &json!({}))
            .await
            .unwrap();
        let lease_end = rubrica_platform::db::now_ms() + emitter.settings.relay.lease_ms as i64;
        sqlx::query("UPDATE outbox_deliveries SET claimed_until = $1 WHERE event_id = $2")
            .bind(lease_end)
            .bind(&event.id)
            .execute(&mut *tx)
            .await
            .unwrap();
        secretariat.outbox.commit(tx).await.unwrap();

        let delivered = wait_for(secretariat, &event.id, |d| d.status == "delivered").await;
        assert_eq!(delivered.attempts, 1, "{}", backend.label());
        assert!(
            rubrica_platform::db::now_ms() >= lease_end,
            "the live relay must respect the dead replica's lease"
        );
        emitter.stop().await;
        receiver.stop().await;
        data.cleanup().await;
    }
}

#[tokio::test]
async fn a_delivery_this_replica_held_when_it_was_killed_goes_out_as_soon_as_it_restarts() {
    for backend in TestBackend::all() {
        let data = TestData::new(&backend).await;
        let receiver = start_receiver(&data, "127.0.0.1:0").await;
        let emitter = start_emitter(&data, &receiver.url(ServiceName::Mail)).await;
        let secretariat = emitter.context(ServiceName::Secretariat);
        let replica =
            rubrica_platform::events::replica_name(&emitter.settings, ServiceName::Secretariat);

        // This replica claimed the delivery and was killed before sending it.
        let mut tx = secretariat.db.pool().begin().await.unwrap();
        let event = secretariat
            .outbox
            .record(&mut tx, "prueba.ping", &json!({}))
            .await
            .unwrap();
        let lease_end = rubrica_platform::db::now_ms() + 3_600_000;
        sqlx::query(
            "UPDATE outbox_deliveries SET claimed_until = $1, claimed_by = $2 WHERE event_id = $3",
        )
        .bind(lease_end)
        .bind(&replica)
        .bind(&event.id)
        .execute(&mut *tx)
        .await
        .unwrap();
        secretariat.outbox.commit(tx).await.unwrap();
        emitter.stop().await;

        let restarted = start_emitter(&data, &receiver.url(ServiceName::Mail)).await;
        let secretariat = restarted.context(ServiceName::Secretariat);
        let delivered = wait_for(secretariat, &event.id, |d| d.status == "delivered").await;
        assert_eq!(delivered.attempts, 1, "{}", backend.label());
        assert!(
            rubrica_platform::db::now_ms() < lease_end,
            "the restarted replica must not wait for its own old lease"
        );
        restarted.stop().await;
        receiver.stop().await;
        data.cleanup().await;
    }
}
