//! The secretariat's own API as a client sees it: a Jalisco secretariat
//! created from its preset, its sessions run through convocatoria,
//! attendance, quorum, agenda approval, votes and agreements, and the
//! `session.closed` event its closing emits — every rule answered by the rules
//! engine, on SQLite and on PostgreSQL.

use std::collections::BTreeMap;

use mail_parser::MimeHeaders;

use reqwest::StatusCode;
use rubrica_platform::events::list_deliveries;
use rubrica_platform::testing::TestBackend;
use rubrica_platform::{ServiceName, Settings};
use serde_json::{Value, json};
use sqlx::Row;

use crate::helpers::{TestApp, TestData, spawn_suite};

/// A member of the arranged secretariat: key, name, RFC, post, seat.
pub(crate) const PEOPLE: &[(&str, &str, &str, &str, Option<&str>)] = &[
    (
        "og",
        "Cynthia Cantero Pacheco",
        "CAPC800101AB1",
        "titular",
        Some("organo_garante"),
    ),
    (
        "ej",
        "Jorge Sandoval Díaz",
        "SADJ800101AB1",
        "titular",
        Some("ejecutivo"),
    ),
    (
        "jud",
        "Ricardo Suro Esteves",
        "SUER800101AB1",
        "titular",
        Some("judicial"),
    ),
    (
        "jud_s",
        "Laura Méndez Ortiz",
        "MEOL800101AB1",
        "suplente",
        Some("judicial"),
    ),
    (
        "leg",
        "Ana Torres Vega",
        "TOVA800101AB1",
        "titular",
        Some("legislativo"),
    ),
    (
        "ayu",
        "Pablo Ruiz Luna",
        "RULP800101AB1",
        "titular",
        Some("ayuntamiento"),
    ),
    (
        "aca",
        "José Morales Orozco",
        "MOOJ800101AB1",
        "titular",
        Some("academia"),
    ),
    (
        "aca_s",
        "Elena Navarro Ríos",
        "NARE800101AB1",
        "suplente",
        Some("academia"),
    ),
    (
        "emp",
        "Marta Castro Soto",
        "CASM800101AB1",
        "titular",
        Some("empresarial"),
    ),
    (
        "emp_e",
        "Iván Mora Díaz",
        "MODI800101AB1",
        "enlace",
        Some("empresarial"),
    ),
    (
        "osc",
        "David Pérez Rulfo",
        "PERD800101AB1",
        "titular",
        Some("sociedad_civil"),
    ),
    (
        "osc_s",
        "Sofía Cruz Nava",
        "CUNS800101AB1",
        "suplente",
        Some("sociedad_civil"),
    ),
    (
        "tec",
        "Luis Meza Rojas",
        "MERL800101AB1",
        "titular",
        Some("comunidad_tecnologica"),
    ),
    (
        "fac",
        "Rosa Ortiz Lara",
        "OILR800101AB1",
        "facilitador",
        None,
    ),
    (
        "inv",
        "Colectivo Datos GDL",
        "CODA800101AB1",
        "invitado",
        None,
    ),
];

/// A running suite with a Jalisco secretariat, its members, and API tokens
/// for the President, the facilitator and a titular.
pub(crate) struct Stl {
    pub(crate) app: TestApp,
    pub(crate) data: TestData,
    pub(crate) base: String,
    pub(crate) operator: String,
    pub(crate) id: String,
    pub(crate) president: String,
    pub(crate) facilitator: String,
    pub(crate) titular: String,
    pub(crate) members: BTreeMap<&'static str, String>,
}

impl Stl {
    pub(crate) async fn arrange(backend: &TestBackend) -> Stl {
        let data = TestData::new(backend).await;
        let app = spawn_suite(&data).await;
        Stl::arrange_on(data, app).await
    }

    /// The secretariat arranged on an app already running.
    pub(crate) async fn arrange_on(data: TestData, app: TestApp) -> Stl {
        let base = app.url(ServiceName::Secretariat);
        let operator = operator_token(&app.settings);
        let (status, created) = call(
            &app,
            "POST",
            &format!("{base}/secretariats"),
            &operator,
            json!({ "preset": "jalisco" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        let mut stl = Stl {
            app,
            data,
            base,
            operator,
            id,
            president: String::new(),
            facilitator: String::new(),
            titular: String::new(),
            members: BTreeMap::new(),
        };
        for (key, name, rfc, post, seat) in PEOPLE {
            let member = stl
                .ok(
                    "POST",
                    &format!("/secretariats/{}/members", stl.id),
                    &stl.operator.clone(),
                    json!({ "name": name, "rfc": rfc, "email": format!("{key}@stl.example.mx") }),
                )
                .await;
            let member_id = member["id"].as_str().unwrap().to_string();
            let mut designation = json!({
                "member_id": member_id,
                "role": post,
                "seat": seat,
                // Academia's titular began five years before the end of 2026 (000 II.3.d).
                "starts_on": if *key == "aca" { "2021-12-01" } else { "2026-01-01" },
            });
            if *post == "invitado" {
                designation["project"] = json!("Datos abiertos de obra pública");
                designation["ends_on"] = json!("2027-06-30");
            }
            stl.ok(
                "POST",
                &format!("/secretariats/{}/designations", stl.id),
                &stl.operator.clone(),
                designation,
            )
            .await;
            stl.members.insert(key, member_id);
        }
        stl.president = stl.api_token("presidente").await;
        stl.facilitator = stl.api_token("facilitador").await;
        stl.titular = stl.api_token("titular").await;
        stl
    }

    pub(crate) async fn api_token(&self, role: &str) -> String {
        let (status, body) = call(
            &self.app,
            "POST",
            &format!("{}/auth/api-tokens", self.base),
            &self.operator,
            json!({ "name": format!("prueba {role}"), "secretariat_id": self.id, "service": "secretariat", "role": role, "valid_days": 30 }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    pub(crate) fn member(&self, key: &str) -> &str {
        &self.members[key]
    }

    /// A request to the secretariat service (`path` relative to it).
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        call(
            &self.app,
            method,
            &format!("{}{path}", self.base),
            token,
            body,
        )
        .await
    }

    /// A request that must succeed (2xx).
    pub(crate) async fn ok(&self, method: &str, path: &str, token: &str, body: Value) -> Value {
        let (status, value) = self.call(method, path, token, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {value}");
        value
    }

    /// A Monday 7 December 2026 ordinary session with a two-item agenda,
    /// convened on Friday 27 November.
    pub(crate) async fn convened_session(&self) -> String {
        let session = self.scheduled_session("ordinaria", "2026-12-07").await;
        self.ok(
            "POST",
            &format!("/sessions/{session}/convocatoria"),
            &self.facilitator,
            json!({ "issued_on": "2026-11-27" }),
        )
        .await;
        session
    }

    pub(crate) async fn scheduled_session(&self, kind: &str, date: &str) -> String {
        let created = self
            .ok(
                "POST",
                &format!("/secretariats/{}/sessions", self.id),
                &self.facilitator,
                json!({
                    "kind": kind,
                    "date": date,
                    "time": "10:00",
                    "place": "Sala de Pleno del ITEI, Guadalajara",
                    "agenda": [
                        {"title": "Lista de asistencia y declaración de quórum"},
                        {"title": "Avance de los compromisos del Plan de Acción Local", "description": "Informe de cada sector"}
                    ],
                }),
            )
            .await;
        created["session"]["id"].as_str().unwrap().to_string()
    }

    pub(crate) async fn arrive(&self, session: &str, keys: &[&str]) {
        for key in keys {
            self.ok(
                "POST",
                &format!("/sessions/{session}/attendance"),
                &self.facilitator,
                json!({ "member_id": self.member(key), "event": "llegada" }),
            )
            .await;
        }
    }

    /// Opens a convened session with these members present and approves its agenda.
    pub(crate) async fn session_under_way(&self, keys: &[&str]) -> String {
        let session = self.convened_session().await;
        self.arrive(&session, keys).await;
        self.ok(
            "POST",
            &format!("/sessions/{session}/open"),
            &self.president,
            json!({}),
        )
        .await;
        let votes: Vec<Value> = self
            .represented_seats(keys)
            .iter()
            .map(|seat| json!({ "seat": seat, "vote": "favor" }))
            .collect();
        let approval = self
            .ok(
                "POST",
                &format!("/sessions/{session}/agenda-approval"),
                &self.facilitator,
                json!({ "votes": votes }),
            )
            .await;
        assert_eq!(approval["finding"]["approved"], true, "{approval}");
        session
    }

    /// The seats represented by these members (titulars and suplentes).
    pub(crate) fn represented_seats(&self, keys: &[&str]) -> Vec<&'static str> {
        let mut seats: Vec<&'static str> = PEOPLE
            .iter()
            .filter(|(key, _, _, post, _)| {
                keys.contains(key) && (*post == "titular" || *post == "suplente")
            })
            .filter_map(|(_, _, _, _, seat)| *seat)
            .collect();
        seats.sort_unstable();
        seats.dedup();
        seats
    }

    pub(crate) async fn motion(
        &self,
        session: &str,
        votes: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let votes: Vec<Value> = votes
            .iter()
            .map(|(seat, vote)| json!({ "seat": seat, "vote": vote }))
            .collect();
        self.call(
            "POST",
            &format!("/sessions/{session}/motions"),
            &self.facilitator,
            json!({ "text": "Aprobar el calendario de reuniones de trabajo de 2027", "agenda_item": 2, "votes": votes }),
        )
        .await
    }

    pub(crate) async fn session(&self, session: &str) -> Value {
        self.ok(
            "GET",
            &format!("/sessions/{session}"),
            &self.titular,
            Value::Null,
        )
        .await
    }

    pub(crate) async fn audit_actions(&self) -> Vec<String> {
        let db = self.app.context(ServiceName::Secretariat).db.pool();
        sqlx::query("SELECT action FROM audit_log ORDER BY seq")
            .fetch_all(db)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>(0).unwrap())
            .collect()
    }

    pub(crate) async fn finish(self) {
        self.app.stop().await;
        self.data.cleanup().await;
    }
}

fn operator_token(settings: &Settings) -> String {
    settings
        .auth
        .operator_token
        .as_ref()
        .unwrap()
        .expose()
        .to_string()
}

async fn call(
    app: &TestApp,
    method: &str,
    url: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let request = match method {
        "GET" => app.client.get(url),
        "POST" => app.client.post(url).json(&body),
        "PUT" => app.client.put(url).json(&body),
        "PATCH" => app.client.patch(url).json(&body),
        other => panic!("unexpected method {other}"),
    };
    let response = request.bearer_auth(token).send().await.unwrap();
    let status = response.status();
    let problem = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v == "application/problem+json");
    let value: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        assert!(problem, "an error is problem+json: {status} {value}");
        assert_eq!(value["status"], status.as_u16());
    }
    (status, value)
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_convocatoria_for_monday_7_december_2026_is_accepted_on_friday_27_november_and_refused_on_monday_30_november()
 {
    for backend in TestBackend::all() {
        // Arrange
        let stl = Stl::arrange(&backend).await;
        let session = stl.scheduled_session("ordinaria", "2026-12-07").await;

        // Act: checking first, without issuing (GET /sessions/{id}/notice).
        let (status, check) = stl
            .call(
                "GET",
                &format!("/sessions/{session}/notice?issued_on=2026-11-30"),
                &stl.facilitator,
                Value::Null,
            )
            .await;

        // Assert: the same finding issuing would record, and the earliest valid
        // session date with that issue date (Tuesday 8 December).
        assert_eq!(status, StatusCode::OK, "{check}");
        assert_eq!(check["notice"]["ok"], false);
        assert_eq!(check["notice"]["business_days"], 4);
        assert_eq!(check["earliest_session_date"], "2026-12-08");
        assert_eq!(check["session_date"], "2026-12-07");
        let (status, _) = stl
            .call(
                "GET",
                &format!("/sessions/{session}/notice?issued_on=30-11-2026"),
                &stl.facilitator,
                Value::Null,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // Act: issued on Monday 30 November there are only four business days.
        let (status, refused) = stl
            .call(
                "POST",
                &format!("/sessions/{session}/convocatoria"),
                &stl.facilitator,
                json!({ "issued_on": "2026-11-30" }),
            )
            .await;

        // Assert: refused with the rules' explanation, and nothing stored.
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            backend.label()
        );
        let text = detail(&refused);
        assert!(text.contains("4 días hábiles de anticipación"), "{text}");
        assert!(text.contains("se requieren 5 días hábiles"), "{text}");
        assert!(text.contains("viernes 27 de noviembre de 2026"), "{text}");
        let unchanged = stl.session(&session).await;
        assert_eq!(unchanged["status"], "programada");
        assert!(unchanged["convocatoria"].is_null());

        // Act: issued on Friday 27 November, 30 Nov–4 Dec are the five business days.
        let convened = stl
            .ok(
                "POST",
                &format!("/sessions/{session}/convocatoria"),
                &stl.facilitator,
                json!({ "issued_on": "2026-11-27" }),
            )
            .await;

        // Assert: convened, with the notice finding recorded for the acta.
        assert_eq!(convened["status"], "convocada");
        let notice = &convened["convocatoria"]["notice"];
        assert_eq!(notice["ok"], true);
        assert_eq!(notice["business_days"], 5);
        assert_eq!(notice["required"], 5);
        assert_eq!(convened["convocatoria"]["issued_on"], "2026-11-27");
        assert!(
            stl.audit_actions()
                .await
                .contains(&"convocatoria.emitir".to_string())
        );
        stl.finish().await;
    }
}

#[tokio::test]
async fn agenda_proposals_come_from_members_and_are_incorporated_with_the_agenda_or_not_at_all() {
    for backend in TestBackend::all() {
        let stl = Stl::arrange(&backend).await;
        let session = stl.scheduled_session("ordinaria", "2026-12-07").await;
        // An API token is nobody's: it cannot propose (members do, with
        // their e.firma session; the browser test proposes one).
        let (status, refused) = stl
            .call(
                "POST",
                &format!("/sessions/{session}/proposals"),
                &stl.titular,
                json!({ "title": "Informe de datos abiertos" }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        let listed = stl
            .ok(
                "GET",
                &format!("/sessions/{session}/proposals"),
                &stl.titular,
                Value::Null,
            )
            .await;
        assert_eq!(listed, json!([]));
        // Incorporating a proposal that is not this session's is refused and
        // the agenda stays as it was.
        let (status, problem) = stl
            .call(
                "PUT",
                &format!("/sessions/{session}/agenda"),
                &stl.facilitator,
                json!({ "items": [{ "title": "Otro punto" }], "incorporated": ["no-existe"] }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let unchanged = stl.session(&session).await;
        assert_eq!(
            unchanged["agenda"]["items"].as_array().unwrap().len(),
            2,
            "{unchanged}"
        );
        stl.finish().await;
    }
}

#[tokio::test]
async fn quorum_counts_a_suplente_who_represents_an_absent_titular_and_never_an_enlace() {
    for backend in TestBackend::all() {
        // Arrange: four government titulars and the enlace of business: no
        // majority and no civil society.
        let stl = Stl::arrange(&backend).await;
        let session = stl.convened_session().await;
        stl.arrive(&session, &["og", "ej", "leg", "ayu", "emp_e"])
            .await;

        // Act
        let (status, refused) = stl
            .call(
                "POST",
                &format!("/sessions/{session}/open"),
                &stl.president,
                json!({}),
            )
            .await;

        // Assert
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            backend.label()
        );
        assert!(
            detail(&refused).contains("sin quórum: 4 de 9 asientos, sin sociedad civil"),
            "{}",
            detail(&refused)
        );
        assert_eq!(stl.session(&session).await["status"], "convocada");

        // Arrange: the suplentes of judicial and academia come for their absent titulars.
        stl.arrive(&session, &["jud_s", "aca_s"]).await;

        // Act
        let opened = stl
            .ok(
                "POST",
                &format!("/sessions/{session}/open"),
                &stl.president,
                json!({}),
            )
            .await;

        // Assert: 6 of 9 seats, civil society through academia's suplente.
        assert_eq!(opened["status"], "abierta");
        let quorum = &opened["quorum"]["at_opening"];
        assert_eq!(quorum["ok"], true);
        assert_eq!(quorum["represented"], 6);
        assert_eq!(quorum["active"], 9);
        assert_eq!(quorum["civil_society_represented"], true);
        assert!(
            quorum["explanation"]
                .as_str()
                .unwrap()
                .starts_with("quórum: 6 de 9 asientos, incluye sociedad civil (academia)")
        );
        let seats = opened["attendance"]["seats"].as_array().unwrap();
        let judicial = seats.iter().find(|s| s["seat"] == "judicial").unwrap();
        assert_eq!(judicial["represented_by"], "suplente");
        let business = seats.iter().find(|s| s["seat"] == "empresarial").unwrap();
        assert_eq!(business["represented_by"], "none");
        assert_eq!(business["attendees"][0]["capacity"], "enlace");
        stl.finish().await;
    }
}

#[tokio::test]
async fn a_tie_is_decided_by_the_president_s_casting_vote() {
    for backend in TestBackend::all() {
        // Arrange
        let stl = Stl::arrange(&backend).await;
        let session = stl
            .session_under_way(&["og", "ej", "jud", "leg", "aca", "osc"])
            .await;

        // Act: three in favour (the President among them), three against.
        let (status, motion) = stl
            .motion(
                &session,
                &[
                    ("organo_garante", "favor"),
                    ("academia", "favor"),
                    ("sociedad_civil", "favor"),
                    ("ejecutivo", "contra"),
                    ("judicial", "contra"),
                    ("legislativo", "contra"),
                ],
            )
            .await;

        // Assert
        assert_eq!(status, StatusCode::CREATED, "{motion}");
        let decision = &motion["decision"];
        assert_eq!(decision["outcome"], "aprobado", "{}", backend.label());
        assert_eq!(decision["by"], "voto_de_calidad");
        assert_eq!(
            (decision["favor"].clone(), decision["contra"].clone()),
            (json!(3), json!(3))
        );
        assert!(
            decision["explanation"]
                .as_str()
                .unwrap()
                .contains("voto de calidad decide (000 VI)")
        );
        assert_eq!(motion["quorum"]["ok"], true);
        let president_vote = motion["votes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["seat"] == "organo_garante")
            .unwrap();
        assert_eq!(president_vote["member_id"], stl.member("og"));
        assert_eq!(president_vote["capacity"], "titular");
        stl.finish().await;
    }
}

#[tokio::test]
async fn a_majority_without_a_civil_society_vote_is_rejected() {
    for backend in TestBackend::all() {
        // Arrange
        let stl = Stl::arrange(&backend).await;
        let session = stl
            .session_under_way(&["og", "ej", "jud", "leg", "aca", "osc"])
            .await;

        // Act: four government and guarantor votes in favour, civil society against.
        let (status, motion) = stl
            .motion(
                &session,
                &[
                    ("organo_garante", "favor"),
                    ("ejecutivo", "favor"),
                    ("judicial", "favor"),
                    ("legislativo", "favor"),
                    ("academia", "contra"),
                    ("sociedad_civil", "contra"),
                ],
            )
            .await;

        // Assert
        assert_eq!(status, StatusCode::CREATED, "{motion}");
        let decision = &motion["decision"];
        assert_eq!(decision["outcome"], "rechazado", "{}", backend.label());
        assert_eq!(decision["by"], "mayoria");
        assert_eq!(decision["civil_society_in_favor"], false);
        assert!(
            decision["explanation"]
                .as_str()
                .unwrap()
                .contains("ningún asiento de sociedad civil votó a favor")
        );

        // And no agreement can be born of it.
        let (status, refused) = stl
            .call(
                "POST",
                &format!("/sessions/{session}/agreements"),
                &stl.facilitator,
                json!({ "motion": 1 }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            detail(&refused).contains("fue rechazada"),
            "{}",
            detail(&refused)
        );
        stl.finish().await;
    }
}

#[tokio::test]
async fn the_agenda_is_approved_at_the_start_of_the_session_unless_a_represented_seat_objects() {
    for backend in TestBackend::all() {
        // Arrange
        let stl = Stl::arrange(&backend).await;
        let session = stl.convened_session().await;
        stl.arrive(&session, &["og", "ej", "jud", "leg", "aca", "osc"])
            .await;
        stl.ok(
            "POST",
            &format!("/sessions/{session}/open"),
            &stl.president,
            json!({}),
        )
        .await;

        // Act: the Judiciary objects.
        let objected = stl
            .ok(
                "POST",
                &format!("/sessions/{session}/agenda-approval"),
                &stl.facilitator,
                json!({ "votes": [
                    {"seat": "organo_garante", "vote": "favor"},
                    {"seat": "judicial", "vote": "contra"},
                    {"seat": "academia", "vote": "abstencion"}
                ]}),
            )
            .await;

        // Assert: not approved, and nothing can be voted until it is.
        assert_eq!(
            objected["finding"]["approved"],
            false,
            "{}",
            backend.label()
        );
        assert!(
            objected["finding"]["explanation"]
                .as_str()
                .unwrap()
                .contains("judicial")
        );
        let (status, refused) = stl.motion(&session, &[("organo_garante", "favor")]).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            detail(&refused).contains("primero debe aprobarse el orden del día"),
            "{}",
            detail(&refused)
        );

        // Act: the agenda is amended at the session and voted again.
        stl.ok(
            "PUT",
            &format!("/sessions/{session}/agenda"),
            &stl.facilitator,
            json!({ "items": [
                {"title": "Lista de asistencia y declaración de quórum"},
                {"title": "Avance de los compromisos del Plan de Acción Local"},
                {"title": "Asuntos generales"}
            ]}),
        )
        .await;
        let approved = stl
            .ok(
                "POST",
                &format!("/sessions/{session}/agenda-approval"),
                &stl.facilitator,
                json!({ "votes": [
                    {"seat": "organo_garante", "vote": "favor"},
                    {"seat": "judicial", "vote": "favor"}
                ]}),
            )
            .await;

        // Assert: approved by the six represented seats; it cannot change or be voted again.
        assert_eq!(approved["finding"]["approved"], true);
        assert!(
            approved["finding"]["explanation"]
                .as_str()
                .unwrap()
                .contains("6 asientos representados")
        );
        let (status, _) = stl
            .call(
                "POST",
                &format!("/sessions/{session}/agenda-approval"),
                &stl.facilitator,
                json!({ "votes": [{"seat": "organo_garante", "vote": "favor"}] }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = stl
            .call(
                "PUT",
                &format!("/sessions/{session}/agenda"),
                &stl.facilitator,
                json!({ "items": [{"title": "Otro"}] }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let record = stl.session(&session).await;
        assert_eq!(record["agenda"]["items"].as_array().unwrap().len(), 3);
        assert_eq!(record["agenda"]["approval"]["finding"]["approved"], true);
        stl.finish().await;
    }
}

#[tokio::test]
async fn closing_a_session_emits_exactly_one_session_closed_event_with_the_attendees_who_must_sign()
{
    for backend in TestBackend::all() {
        // Arrange: judicial's titular is absent and its suplente acts;
        // civil society's titular and suplente both come (the suplente has
        // voice only); business sends only its enlace; the facilitator and an
        // invited member attend.
        let stl = Stl::arrange(&backend).await;
        let attendees = [
            "og", "ej", "jud_s", "leg", "ayu", "aca", "osc", "osc_s", "emp_e", "fac", "inv",
        ];
        let session = stl.session_under_way(&attendees).await;
        stl.ok(
            "PUT",
            &format!("/sessions/{session}/agenda/2/deliberation"),
            &stl.facilitator,
            json!({ "text": "Cada sector informó el avance de sus compromisos." }),
        )
        .await;
        let (status, motion) = stl
            .motion(
                &session,
                &[
                    ("organo_garante", "favor"),
                    ("ejecutivo", "favor"),
                    ("judicial", "favor"),
                    ("legislativo", "contra"),
                    ("ayuntamiento", "abstencion"),
                    ("academia", "favor"),
                    ("sociedad_civil", "favor"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{motion}");
        let judicial_vote = motion["votes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["seat"] == "judicial")
            .unwrap()
            .clone();
        assert_eq!(judicial_vote["capacity"], "suplente");
        let agreement = stl
            .ok(
                "POST",
                &format!("/sessions/{session}/agreements"),
                &stl.facilitator,
                json!({ "motion": 1, "responsible_seat": "organo_garante", "due_on": "2027-01-31" }),
            )
            .await;
        assert_eq!(agreement["folio"], "2026-ORD-01/ACU-01");

        // Act
        let closed = stl
            .ok(
                "POST",
                &format!("/sessions/{session}/close"),
                &stl.president,
                json!({}),
            )
            .await;
        let (twice, refused) = stl
            .call(
                "POST",
                &format!("/sessions/{session}/close"),
                &stl.president,
                json!({}),
            )
            .await;

        // Assert: exactly one event, in the outbox, for the documents service.
        assert_eq!(twice, StatusCode::CONFLICT, "{}", backend.label());
        assert!(
            detail(&refused).contains("no puede cerrarse dos veces"),
            "{}",
            detail(&refused)
        );
        let context = stl.app.context(ServiceName::Secretariat);
        let events = sqlx::query("SELECT id, payload FROM outbox_events WHERE event_type = $1")
            .bind("session.closed")
            .fetch_all(context.db.pool())
            .await
            .unwrap();
        assert_eq!(events.len(), 1);
        let event_id: String = events[0].try_get(0).unwrap();
        assert_eq!(closed["event_id"], event_id.as_str());
        let deliveries = list_deliveries(&context.db, 100).await.unwrap();
        assert!(
            deliveries
                .iter()
                .any(|d| d.event_id == event_id && d.subscriber == "documents")
        );
        let payload: Value =
            serde_json::from_str(&events[0].try_get::<String, _>(1).unwrap()).unwrap();

        // The attendees who must sign: titulars and the acting suplente only.
        let signers: Vec<&str> = payload["signers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["member_id"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = ["og", "ej", "jud_s", "leg", "ayu", "aca", "osc"]
            .iter()
            .map(|k| stl.member(k))
            .collect();
        assert_eq!(signers, expected);
        assert_eq!(payload["signers"][2]["capacity"], "suplente");
        assert_eq!(payload["signers"][2]["rfc"], "MEOL800101AB1");

        // Everything the acta needs.
        assert_eq!(payload["secretariat"]["id"], stl.id.as_str());
        assert_eq!(payload["session"]["folio"], "2026-ORD-01");
        assert_eq!(payload["session"]["record"], "acta");
        assert_eq!(payload["session"]["date"], "2026-12-07");
        assert!(
            payload["session"]["start_time"].is_string()
                && payload["session"]["end_time"].is_string()
        );
        assert_eq!(payload["convocatoria"]["notice"]["ok"], true);
        assert_eq!(payload["quorum"]["at_opening"]["represented"], 7);
        let seats = payload["attendance"]["seats"].as_array().unwrap();
        let seat = |id: &str| seats.iter().find(|s| s["seat"] == id).unwrap().clone();
        assert_eq!(seat("judicial")["represented_by"], "suplente");
        assert_eq!(seat("judicial")["suplente_acted"], true);
        assert_eq!(seat("sociedad_civil")["represented_by"], "titular");
        assert_eq!(seat("sociedad_civil")["suplente_acted"], false);
        assert_eq!(payload["attendance"]["others"].as_array().unwrap().len(), 2);
        assert_eq!(payload["agenda"]["approval"]["finding"]["approved"], true);
        assert_eq!(
            payload["agenda"]["items"][1]["deliberation"],
            "Cada sector informó el avance de sus compromisos."
        );
        assert_eq!(payload["agenda"]["items"][1]["motions"], json!([1]));
        let agreement = &payload["agreements"][0];
        assert_eq!(agreement["number"], 1);
        assert_eq!(agreement["responsible_seat"], "organo_garante");
        assert_eq!(agreement["due_on"], "2027-01-31");
        assert_eq!(
            (
                agreement["favor"].clone(),
                agreement["contra"].clone(),
                agreement["abstencion"].clone()
            ),
            (json!(5), json!(1), json!(1))
        );
        assert_eq!(agreement["decided_by"], "mayoria");
        assert!(
            agreement["explanation"]
                .as_str()
                .unwrap()
                .contains("000 VI")
        );
        assert_eq!(payload["rules"]["preset"], "jalisco");

        // A closed session takes no more votes, attendance or agreements.
        let (status, refused) = stl.motion(&session, &[("organo_garante", "favor")]).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            detail(&refused).contains("ya se cerró"),
            "{}",
            detail(&refused)
        );
        let (status, _) = stl
            .call(
                "POST",
                &format!("/sessions/{session}/attendance"),
                &stl.facilitator,
                json!({ "member_id": stl.member("tec"), "event": "llegada" }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);

        // Every step is in the audit trail.
        let actions = stl.audit_actions().await;
        for action in [
            "secretariado.crear",
            "integrante.registrar",
            "designacion.crear",
            "sesion.programar",
            "convocatoria.emitir",
            "asistencia.llegada",
            "sesion.abrir",
            "sesion.aprobar_orden_del_dia",
            "sesion.deliberacion",
            "votacion.registrar",
            "acuerdo.registrar",
            "sesion.cerrar",
        ] {
            assert!(
                actions.iter().any(|a| a == action),
                "{action} missing from {actions:?}"
            );
        }
        assert_eq!(actions.iter().filter(|a| *a == "sesion.cerrar").count(), 1);
        stl.finish().await;
    }
}

#[tokio::test]
async fn whether_enlaces_and_invited_members_sign_is_a_setting_of_the_secretariat() {
    for backend in TestBackend::all() {
        // Arrange
        let stl = Stl::arrange(&backend).await;
        stl.ok(
            "PATCH",
            &format!("/secretariats/{}", stl.id),
            &stl.president,
            json!({ "signers": { "enlaces": true, "invited_members": true } }),
        )
        .await;
        let session = stl
            .session_under_way(&["og", "ej", "jud", "leg", "aca", "emp_e", "inv", "fac"])
            .await;

        // Act
        let closed = stl
            .ok(
                "POST",
                &format!("/sessions/{session}/close"),
                &stl.facilitator,
                json!({}),
            )
            .await;

        // Assert: the enlace and the invited member sign too; the facilitator never does.
        let capacities: Vec<&str> = closed["record"]["signers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["capacity"].as_str().unwrap())
            .collect();
        assert_eq!(
            capacities,
            [
                "titular", "titular", "titular", "titular", "titular", "enlace", "invitado"
            ],
            "{}",
            backend.label()
        );
        stl.finish().await;
    }
}

#[tokio::test]
async fn errors_are_spanish_problem_details_and_leave_the_data_unchanged() {
    for backend in TestBackend::all() {
        // Arrange
        let stl = Stl::arrange(&backend).await;
        let members_before = stl
            .ok(
                "GET",
                &format!("/secretariats/{}/members", stl.id),
                &stl.titular,
                Value::Null,
            )
            .await;

        // An RFC that is not one.
        let (status, problem) = stl
            .call(
                "POST",
                &format!("/secretariats/{}/members", stl.id),
                &stl.president,
                json!({ "name": "Persona", "rfc": "XYZ", "email": "p@stl.example.mx" }),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            backend.label()
        );
        assert!(
            detail(&problem).contains("no es un RFC válido"),
            "{}",
            detail(&problem)
        );
        // The same RFC twice.
        let (status, problem) = stl
            .call(
                "POST",
                &format!("/secretariats/{}/members", stl.id),
                &stl.president,
                json!({ "name": "Otra", "rfc": "capc800101ab1", "email": "o@stl.example.mx" }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            detail(&problem).contains("Ya hay un integrante con el RFC CAPC800101AB1"),
            "{}",
            detail(&problem)
        );
        // A second titular for a seat that has one.
        let (status, problem) = stl
            .call(
                "POST",
                &format!("/secretariats/{}/designations", stl.id),
                &stl.president,
                json!({ "member_id": stl.member("osc_s"), "role": "titular", "seat": "academia", "starts_on": "2026-06-01" }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            detail(&problem).contains("ya es titular del asiento «academia»"),
            "{}",
            detail(&problem)
        );
        let members_after = stl
            .ok(
                "GET",
                &format!("/secretariats/{}/members", stl.id),
                &stl.titular,
                Value::Null,
            )
            .await;
        assert_eq!(members_before, members_after);

        // A session on a date that does not exist; malformed JSON.
        let (status, problem) = stl
            .call(
                "POST",
                &format!("/secretariats/{}/sessions", stl.id),
                &stl.facilitator,
                json!({ "kind": "ordinaria", "date": "2026-02-30", "time": "10:00", "place": "ITEI" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            detail(&problem).contains("La fecha «2026-02-30» de `date` no es válida"),
            "{}",
            detail(&problem)
        );
        let malformed = stl
            .app
            .client
            .post(format!("{}/secretariats/{}/sessions", stl.base, stl.id))
            .bearer_auth(&stl.facilitator)
            .header("content-type", "application/json")
            .body("{\"kind\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
        let problem: Value = malformed.json().await.unwrap();
        assert!(detail(&problem).contains("no es JSON válido"));
        let sessions = stl
            .ok(
                "GET",
                &format!("/secretariats/{}/sessions", stl.id),
                &stl.titular,
                Value::Null,
            )
            .await;
        assert_eq!(sessions, json!([]));

        // Votes the rules cannot judge: a seat that does not exist, a seat nobody represents.
        let session = stl
            .session_under_way(&["og", "ej", "jud", "leg", "aca", "osc"])
            .await;
        let (status, problem) = stl
            .motion(
                &session,
                &[("organo_garante", "favor"), ("senado", "favor")],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            detail(&problem).contains("«senado»")
                && detail(&problem).contains("comunidad_tecnologica"),
            "{}",
            detail(&problem)
        );
        let (status, problem) = stl
            .motion(
                &session,
                &[("organo_garante", "favor"), ("empresarial", "favor")],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            detail(&problem).contains("no está representado en la sesión"),
            "{}",
            detail(&problem)
        );
        let (status, problem) = stl.motion(&session, &[("organo_garante", "si")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            detail(&problem).contains("Use uno de: favor, contra, abstencion"),
            "{}",
            detail(&problem)
        );
        // Arriving twice.
        let (status, problem) = stl
            .call(
                "POST",
                &format!("/sessions/{session}/attendance"),
                &stl.facilitator,
                json!({ "member_id": stl.member("og"), "event": "llegada" }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            detail(&problem).contains("registre primero su salida"),
            "{}",
            detail(&problem)
        );
        let record = stl.session(&session).await;
        assert_eq!(record["motions"], json!([]));
        assert_eq!(
            record["attendance"]["seats"][0]["attendees"][0]["stays"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        stl.finish().await;
    }
}

#[tokio::test]
async fn members_who_do_not_manage_get_403_on_management_endpoints() {
    for backend in TestBackend::all() {
        // Arrange
        let stl = Stl::arrange(&backend).await;
        let sessions = format!("/secretariats/{}/sessions", stl.id);
        let new_session = json!({ "kind": "reunion_de_trabajo", "date": "2026-12-10", "time": "17:00", "place": "En línea" });

        // A titular reads but does not manage.
        let (status, problem) = stl
            .call("POST", &sessions, &stl.titular, new_session.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", backend.label());
        assert!(
            detail(&problem).starts_with("No tiene permiso para programar una sesión"),
            "{}",
            detail(&problem)
        );
        stl.ok("GET", &sessions, &stl.titular, Value::Null).await;
        let (status, _) = stl
            .call(
                "POST",
                &format!("/secretariats/{}/members", stl.id),
                &stl.titular,
                json!({ "name": "X", "rfc": "XAXX010101000", "email": "x@stl.example.mx" }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The facilitator manages sessions but does not register members.
        let created = stl
            .ok("POST", &sessions, &stl.facilitator, new_session.clone())
            .await;
        assert_eq!(created["session"]["folio"], "2026-RT-01");
        let (status, problem) = stl
            .call(
                "POST",
                &format!("/secretariats/{}/members", stl.id),
                &stl.facilitator,
                json!({ "name": "X", "rfc": "XAXX010101000", "email": "x@stl.example.mx" }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            detail(&problem).starts_with("No tiene permiso para registrar integrantes"),
            "{}",
            detail(&problem)
        );

        // Creating secretariats is the operator's.
        let (status, _) = stl
            .call(
                "POST",
                "/secretariats",
                &stl.president,
                json!({ "preset": "oaxaca" }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The President of one secretariat cannot act on another.
        let other = stl
            .ok(
                "POST",
                "/secretariats",
                &stl.operator,
                json!({ "preset": "oaxaca" }),
            )
            .await;
        let other_id = other["id"].as_str().unwrap();
        let (status, problem) = stl
            .call(
                "POST",
                &format!("/secretariats/{other_id}/sessions"),
                &stl.president,
                new_session,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            detail(&problem)
                .contains("Solo puede consultar o modificar el Secretariado al que pertenece"),
            "{}",
            detail(&problem)
        );
        let (status, _) = stl
            .call(
                "GET",
                &format!("/secretariats/{other_id}/members"),
                &stl.titular,
                Value::Null,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        stl.finish().await;
    }
}

#[tokio::test]
async fn a_titular_s_resignation_promotes_the_suplente_and_opens_a_call_for_a_new_suplente() {
    for backend in TestBackend::all() {
        // Arrange
        let stl = Stl::arrange(&backend).await;

        // Act: first only explained (the console shows the cascade before it is applied).
        let (status, preview) = stl
            .call(
                "POST",
                &format!("/secretariats/{}/seats/academia/resignations", stl.id),
                &stl.president,
                json!({ "who": "titular", "effective_on": "2026-12-01", "dry_run": true }),
            )
            .await;

        // Assert: the same cascade, and nothing stored.
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["dry_run"], true);
        assert!(
            preview["explanation"]
                .as_str()
                .unwrap()
                .contains("000 II.4.V.a")
        );
        assert_eq!(preview["started"][0]["member_id"], stl.member("aca_s"));
        assert_eq!(preview["calls"][0]["vacancy"], "suplente");
        let untouched = stl
            .ok(
                "GET",
                &format!("/secretariats/{}/calls", stl.id),
                &stl.titular,
                Value::Null,
            )
            .await;
        assert_eq!(untouched.as_array().unwrap().len(), 0, "{untouched}");

        // Act
        let outcome = stl
            .ok(
                "POST",
                &format!("/secretariats/{}/seats/academia/resignations", stl.id),
                &stl.president,
                json!({ "who": "titular", "effective_on": "2026-12-01" }),
            )
            .await;

        // Assert: 000 II.4.V.a — the suplente rises, completing the term, and calls for a suplente.
        assert!(
            outcome["explanation"]
                .as_str()
                .unwrap()
                .contains("000 II.4.V.a"),
            "{}",
            backend.label()
        );
        assert_eq!(outcome["started"][0]["member_id"], stl.member("aca_s"));
        assert_eq!(outcome["started"][0]["role"], "titular");
        assert_eq!(outcome["started"][0]["term_starts_on"], "2021-12-01");
        assert_eq!(outcome["ended"].as_array().unwrap().len(), 2);
        let seats = stl
            .ok(
                "GET",
                &format!("/secretariats/{}/seats?on=2026-12-01", stl.id),
                &stl.titular,
                Value::Null,
            )
            .await;
        let academia = seats
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "academia")
            .unwrap();
        assert_eq!(academia["titular"]["member_id"], stl.member("aca_s"));
        assert!(academia["suplente"].is_null());
        let calls = stl
            .ok(
                "GET",
                &format!("/secretariats/{}/calls", stl.id),
                &stl.titular,
                Value::Null,
            )
            .await;
        assert_eq!(calls[0]["vacancy"], "suplente");
        assert_eq!(calls[0]["run_by"], "titular");
        assert_eq!(calls[0]["status"], "abierta");

        // A titular without suplente leaves the seat empty: the President calls
        // for both (000 II.4.V.c), and the seat stops counting as active.
        let executive = stl
            .ok(
                "POST",
                &format!("/secretariats/{}/seats/ejecutivo/resignations", stl.id),
                &stl.president,
                json!({ "who": "titular", "effective_on": "2026-12-01" }),
            )
            .await;
        assert!(executive["started"].as_array().unwrap().is_empty());
        assert_eq!(executive["calls"][0]["vacancy"], "titular_y_suplente");
        assert_eq!(executive["calls"][0]["run_by"], "presidente");
        let seats = stl
            .ok(
                "GET",
                &format!("/secretariats/{}/seats?on=2026-12-01", stl.id),
                &stl.titular,
                Value::Null,
            )
            .await;
        assert_eq!(seats[1]["id"], "ejecutivo");
        assert_eq!(seats[1]["active"], false);

        // A resignation from a vacant post is refused in Spanish and changes nothing.
        let (status, problem) = stl
            .call(
                "POST",
                &format!("/secretariats/{}/seats/academia/resignations", stl.id),
                &stl.president,
                json!({ "who": "suplente", "effective_on": "2026-12-15" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            detail(&problem).contains("no tiene suplente designado"),
            "{}",
            detail(&problem)
        );

        // Designating the new suplente closes the call.
        let newcomer = stl
            .ok(
                "POST",
                &format!("/secretariats/{}/members", stl.id),
                &stl.president,
                json!({ "name": "Nueva Suplente", "rfc": "NUSU850505AB1", "email": "nueva@stl.example.mx" }),
            )
            .await;
        stl.ok(
            "POST",
            &format!("/secretariats/{}/designations", stl.id),
            &stl.president,
            json!({ "member_id": newcomer["id"], "role": "suplente", "seat": "academia", "starts_on": "2026-12-10" }),
        )
        .await;
        let calls = stl
            .ok(
                "GET",
                &format!("/secretariats/{}/calls", stl.id),
                &stl.titular,
                Value::Null,
            )
            .await;
        assert_eq!(calls[0]["status"], "cerrada");
        assert!(
            stl.audit_actions()
                .await
                .contains(&"renuncia.aplicar".to_string())
        );
        stl.finish().await;
    }
}

#[tokio::test]
async fn terms_ending_within_n_days_are_listed_with_the_rule_that_ends_them() {
    for backend in TestBackend::all() {
        // Arrange: academia's titular began on 2021-12-01 (five years, 000 II.3.d).
        let stl = Stl::arrange(&backend).await;

        // Act
        let ending = stl
            .ok(
                "GET",
                &format!(
                    "/secretariats/{}/terms?within_days=30&on=2026-11-21",
                    stl.id
                ),
                &stl.titular,
                Value::Null,
            )
            .await;
        let all = stl
            .ok(
                "GET",
                &format!("/secretariats/{}/terms?on=2026-11-21", stl.id),
                &stl.titular,
                Value::Null,
            )
            .await;

        // Assert
        let ending = ending.as_array().unwrap();
        assert_eq!(ending.len(), 1, "{ending:?} on {}", backend.label());
        assert_eq!(ending[0]["member_id"], stl.member("aca"));
        assert_eq!(ending[0]["ends_on"], "2026-12-01");
        assert_eq!(ending[0]["days_left"], 10);
        assert_eq!(ending[0]["email"], "aca@stl.example.mx");
        let executive = all
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["seat"] == "ejecutivo")
            .unwrap();
        assert_eq!(executive["end"]["kind"], "al_cambio_de_mandato");
        stl.finish().await;
    }
}

// ---------------------------------------------------------------------------
// What the secretariat tells the members through the mail service: a
// rescheduled or cancelled session, and terms ending (000 V.6, III.7).

/// A message the mail service wrote to its outbox folder.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) text: String,
    /// The `text/calendar` part's METHOD, UID and SEQUENCE.
    calendar: Option<(String, String, u32)>,
}

pub(crate) fn written(data: &TestData) -> Vec<Written> {
    let dir = data.dir.path().join("mail").join("outbox");
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let Ok(raw) = std::fs::read(&path) else {
            continue;
        };
        let Some(message) = mail_parser::MessageParser::default().parse(&raw) else {
            continue;
        };
        let mut mail = Written {
            to: message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string(),
            subject: message.subject().unwrap_or_default().to_string(),
            text: message.body_text(0).unwrap_or_default().to_string(),
            calendar: None,
        };
        for part in &message.parts {
            let Some(kind) = part.content_type() else {
                continue;
            };
            if kind.ctype() == "text"
                && kind.subtype() == Some("calendar")
                && part.attachment_name().is_none()
            {
                let ics = part
                    .text_contents()
                    .unwrap_or_default()
                    .replace("\r\n ", "");
                let value = |name: &str| {
                    ics.lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}:")))
                        .unwrap_or_default()
                        .trim()
                        .to_string()
                };
                mail.calendar = Some((
                    value("METHOD"),
                    value("UID"),
                    value("SEQUENCE").parse().unwrap_or(u32::MAX),
                ));
            }
        }
        out.push(mail);
    }
    out
}

/// Waits until `wanted` holds for the written messages.
pub(crate) async fn wait_written(
    data: &TestData,
    what: &str,
    wanted: impl Fn(&[Written]) -> bool,
) -> Vec<Written> {
    let started = std::time::Instant::now();
    loop {
        let mails = written(data);
        if wanted(&mails) {
            return mails;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "timed out waiting for {what}: {:#?}",
            mails
                .iter()
                .map(|m| (&m.to, &m.subject, &m.calendar))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// (method, sequence) of the calendar invitations `address` received for `uid`.
fn invitations(mails: &[Written], address: &str, uid_prefix: &str) -> Vec<(String, u32)> {
    let mut got: Vec<(String, u32)> = mails
        .iter()
        .filter(|m| m.to == address)
        .filter_map(|m| m.calendar.clone())
        .filter(|(_, uid, _)| uid.starts_with(uid_prefix))
        .map(|(method, _, sequence)| (method, sequence))
        .collect();
    got.sort_by_key(|(_, sequence)| *sequence);
    got
}

#[tokio::test]
async fn rescheduling_a_convened_session_mails_every_member_an_update_and_cancelling_it_a_cancellation()
 {
    for backend in TestBackend::all() {
        let stl = Stl::arrange(&backend).await;
        let session = stl.convened_session().await;
        let uid = format!("sesion-{session}@");
        let addresses: Vec<String> = PEOPLE
            .iter()
            .map(|(key, ..)| format!("{key}@stl.example.mx"))
            .collect();
        let all_have = |mails: &[Written], method: &str, sequence: u32| {
            addresses.iter().all(|a| {
                invitations(mails, a, &uid)
                    .iter()
                    .any(|(m, s)| m == method && *s == sequence)
            })
        };
        wait_written(&stl.data, "the convocatoria", |m| all_have(m, "REQUEST", 0)).await;

        // Act: a new time and place for the convened session.
        stl.ok(
            "PATCH",
            &format!("/sessions/{session}"),
            &stl.facilitator,
            json!({ "time": "11:00", "place": "Auditorio del ITEI, Guadalajara" }),
        )
        .await;
        let mails = wait_written(&stl.data, "the update", |m| all_have(m, "REQUEST", 1)).await;
        for address in &addresses {
            let update = mails
                .iter()
                .find(|m| {
                    m.to == *address
                        && m.calendar.as_ref().is_some_and(|(method, u, s)| {
                            method == "REQUEST" && u.starts_with(&uid) && *s == 1
                        })
                })
                .unwrap();
            assert!(update.text.contains("11:00"), "{}", update.text);
            assert!(
                update.text.contains("Auditorio del ITEI"),
                "{}",
                update.text
            );
        }
        // Same UID throughout: one calendar entry, updated.
        let uids: std::collections::BTreeSet<String> = mails
            .iter()
            .filter_map(|m| m.calendar.as_ref())
            .filter(|(_, u, _)| u.starts_with(&uid))
            .map(|(_, u, _)| u.clone())
            .collect();
        assert_eq!(uids.len(), 1, "{uids:?}");
        // A change that changes nothing tells nobody.
        stl.ok(
            "PATCH",
            &format!("/sessions/{session}"),
            &stl.facilitator,
            json!({ "time": "11:00" }),
        )
        .await;

        // Act: the session is cancelled.
        let cancelled = stl
            .ok(
                "POST",
                &format!("/sessions/{session}/cancellation"),
                &stl.facilitator,
                json!({ "reason": "Coincide con el informe anual del ITEI." }),
            )
            .await;
        assert_eq!(cancelled["status"], "cancelada");
        let mails = wait_written(&stl.data, "the cancellation", |m| all_have(m, "CANCEL", 2)).await;
        for address in &addresses {
            assert_eq!(
                invitations(&mails, address, &uid),
                vec![
                    ("REQUEST".to_string(), 0),
                    ("REQUEST".to_string(), 1),
                    ("CANCEL".to_string(), 2)
                ],
                "{address}"
            );
        }
        // Cancelled: it can be neither cancelled again nor rescheduled.
        let (status, problem) = stl
            .call(
                "POST",
                &format!("/sessions/{session}/cancellation"),
                &stl.facilitator,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert!(detail(&problem).contains("se canceló"), "{problem}");
        let (status, _) = stl
            .call(
                "PATCH",
                &format!("/sessions/{session}"),
                &stl.facilitator,
                json!({ "time": "12:00" }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        // A titular may not cancel.
        let other = stl.scheduled_session("ordinaria", "2026-12-14").await;
        let (status, _) = stl
            .call(
                "POST",
                &format!("/sessions/{other}/cancellation"),
                &stl.titular,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        stl.finish().await;
    }
}

#[tokio::test]
async fn a_term_ending_within_the_window_mails_its_holder_and_the_president_once() {
    for backend in TestBackend::all() {
        let stl = Stl::arrange(&backend).await;
        let on = time::macros::date!(2026 - 11 - 01);
        let ending = stl
            .ok(
                "GET",
                &format!(
                    "/secretariats/{}/terms?on=2026-11-01&within_days=30",
                    stl.id
                ),
                &stl.facilitator,
                json!({}),
            )
            .await;
        let ending = ending.as_array().unwrap().clone();
        assert!(
            !ending.is_empty(),
            "the fixture has a term ending in November"
        );
        let context = stl.app.context(ServiceName::Secretariat);

        // Act: the daily pass, twice.
        let first = rubrica_secretariat::api::terms::pass(context, Some(on))
            .await
            .unwrap();
        let second = rubrica_secretariat::api::terms::pass(context, Some(on))
            .await
            .unwrap();
        assert_eq!(first, ending.len());
        assert_eq!(second, 0, "each term is announced once");

        let president = "og@stl.example.mx";
        let expected = |mails: &[Written]| {
            ending.iter().all(|term| {
                let email = term["email"].as_str().unwrap();
                let name = term["name"].as_str().unwrap();
                mails
                    .iter()
                    .any(|m| m.to == email && m.subject.starts_with("Su periodo termina el"))
                    && (email == president
                        || mails.iter().any(|m| {
                            m.to == president
                                && m.subject
                                    .starts_with(&format!("El periodo de {name} termina"))
                        }))
            })
        };
        wait_written(&stl.data, "the term reminders", expected).await;
        // Give a repeat every chance to arrive, then count.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let mails = written(&stl.data);
        for term in &ending {
            let email = term["email"].as_str().unwrap();
            let name = term["name"].as_str().unwrap();
            let to_holder: Vec<_> = mails
                .iter()
                .filter(|m| m.to == email && m.subject.starts_with("Su periodo termina el"))
                .collect();
            assert_eq!(to_holder.len(), 1, "{email}: {to_holder:#?}");
            assert!(to_holder[0].text.contains("III.7"), "{}", to_holder[0].text);
            if email != president {
                let to_president = mails
                    .iter()
                    .filter(|m| {
                        m.to == president
                            && m.subject
                                .starts_with(&format!("El periodo de {name} termina"))
                    })
                    .count();
                assert_eq!(to_president, 1, "President told about {name}");
            }
        }
        stl.finish().await;
    }
}
