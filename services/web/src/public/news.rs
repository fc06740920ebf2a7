//! The President's communiqués (section a: `/stl/{slug}/comunicados`, one
//! page per communiqué at its stable number, and their Atom feed) and the
//! agenda of activities (section b: `/stl/{slug}/agenda`), read from the
//! secretariat's `/public/…` routes without a token.

use super::*;

/// Registers the pages (before the site's `/stl/{slug}/{section}`).
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/stl/{slug}/comunicados", web::get().to(communiques))
        .route("/stl/{slug}/comunicados.atom", web::get().to(feed))
        .route(
            "/stl/{slug}/comunicados/{number}",
            web::get().to(communique),
        )
        .route("/stl/{slug}/agenda", web::get().to(agenda));
}

/// The communiqués of a secretariat, newest first.
pub(super) async fn communiques_of(state: &WebState, slug: &str) -> Result<Value, Failure> {
    get_ok(
        state,
        &secretariat_url(state, &format!("/public/secretariats/{slug}/communiques")),
    )
    .await
}

/// The local date of an RFC 3339 instant, in words.
fn date_words(rfc3339: &str) -> String {
    long_date(rfc3339.get(..10).unwrap_or_default())
}

/// A communiqué with the words the pages show.
pub(super) fn communique_words(c: &Value) -> Value {
    let mut c = c.clone();
    let lines: Vec<Vec<&str>> = c["paragraphs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p.as_str().unwrap_or_default().lines().collect())
        .collect();
    c["paragraph_lines"] = json!(lines);
    c["published_text"] = json!(date_words(c["published"].as_str().unwrap_or_default()));
    if c["corrections"].as_i64().unwrap_or(0) > 0 {
        c["updated_text"] = json!(date_words(c["updated"].as_str().unwrap_or_default()));
    }
    c
}

/// A communiqué's number as its URL names it: 1 to 9 digits.
fn valid_number(text: &str) -> bool {
    !text.is_empty() && text.len() <= 9 && text.bytes().all(|b| b.is_ascii_digit())
}

async fn communiques(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    let s = match secretariat(&state, &path).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    let list = match communiques_of(&state, &path).await {
        Ok(l) => l,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    let list: Vec<Value> = list
        .as_array()
        .into_iter()
        .flatten()
        .map(communique_words)
        .collect();
    render::page(
        &state,
        &Page::new("stl/comunicados.html", Freshness::Short),
        context! { stl => v(&stl), section => "a", communiques => v(&list) },
        Some(&request),
    )
}

async fn communique(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    let (slug, number) = path.into_inner();
    let s = match secretariat(&state, &slug).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    if !valid_number(&number) {
        return failure_page(
            &state,
            Some(&stl),
            Failure {
                status: StatusCode::NOT_FOUND,
                message: format!(
                    "No hay un comunicado número «{}». Consulte la lista de comunicados.",
                    shorten(&number)
                ),
            },
        );
    }
    let found = match get_ok(
        &state,
        &secretariat_url(
            &state,
            &format!("/public/secretariats/{slug}/communiques/{number}"),
        ),
    )
    .await
    {
        Ok(c) => c,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    render::page(
        &state,
        &Page::new("stl/comunicado.html", Freshness::Short),
        context! { stl => v(&stl), section => "a", communique => v(&communique_words(&found)) },
        Some(&request),
    )
}

/// The Atom feed of a secretariat's communiqués (the newest 50).
async fn feed(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    let s = match secretariat(&state, &path).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    let list = match communiques_of(&state, &path).await {
        Ok(l) => l,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    let list: Vec<&Value> = list.as_array().into_iter().flatten().take(50).collect();
    let origin = origin(&request);
    let slug = path.as_str();
    let newest = list
        .iter()
        .filter_map(|c| c["updated_at"].as_i64())
        .max()
        .unwrap_or(0);
    let name = xml_escape(s["name"].as_str().unwrap_or_default());
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"es-MX\">\n<title>Comunicados de {name}</title>\n<subtitle>Comunicados de la Presidencia del Secretariado Técnico Local.</subtitle>\n<id>{origin}/stl/{slug}/comunicados.atom</id>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"{origin}/stl/{slug}/comunicados.atom\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"{origin}/stl/{slug}/comunicados\"/>\n<updated>{}</updated>\n<author><name>{name}</name></author>\n",
        rfc3339(newest)
    );
    for c in list {
        let Some(number) = c["number"].as_i64() else {
            continue;
        };
        let url = format!("{origin}/stl/{slug}/comunicados/{number}");
        xml.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>{url}</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n<published>{}</published>\n<updated>{}</updated>\n<content type=\"text\">{}</content>\n</entry>\n",
            xml_escape(c["title"].as_str().unwrap_or_default()),
            rfc3339(c["published_at"].as_i64().unwrap_or_default()),
            rfc3339(c["updated_at"].as_i64().unwrap_or_default()),
            xml_escape(c["body"].as_str().unwrap_or_default()),
        ));
    }
    xml.push_str("</feed>\n");
    render::bytes(
        &state,
        xml.into_bytes(),
        "application/atom+xml; charset=utf-8",
        Freshness::Short,
        (newest > 0).then_some(newest),
        Some(&request),
    )
}

/// An activity with the words the pages show.
pub(crate) fn activity_words(a: &Value) -> Value {
    let mut a = a.clone();
    a["date_text"] = json!(long_date(a["date"].as_str().unwrap_or_default()));
    a
}

/// `/stl/{slug}/agenda`: upcoming activities first (soonest first), then
/// past ones (most recent first); cancelled ones stay, marked.
async fn agenda(
    state: web::Data<WebState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(hit) = render::cached(&state, &request) {
        return hit;
    }
    let s = match secretariat(&state, &path).await {
        Ok(s) => s,
        Err(f) => return failure_page(&state, None, f),
    };
    let stl = stl_of(&s);
    let list = match get_ok(
        &state,
        &secretariat_url(
            &state,
            &format!("/public/secretariats/{}/activities", path.as_str()),
        ),
    )
    .await
    {
        Ok(l) => l,
        Err(f) => return failure_page(&state, Some(&stl), f),
    };
    let (mut upcoming, mut past): (Vec<Value>, Vec<Value>) = list
        .as_array()
        .into_iter()
        .flatten()
        .map(activity_words)
        .partition(|a| a["upcoming"].as_bool().unwrap_or(false));
    let when = |a: &Value| {
        format!(
            "{} {}",
            a["date"].as_str().unwrap_or_default(),
            a["time"].as_str().unwrap_or_default()
        )
    };
    upcoming.sort_by_key(when);
    past.sort_by_key(|a| std::cmp::Reverse(when(a)));
    render::page(
        &state,
        &Page::new("stl/agenda.html", Freshness::Short),
        context! { stl => v(&stl), section => "b", upcoming => v(&upcoming), past => v(&past) },
        Some(&request),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn communiques_read_their_dates_in_spanish() {
        let c = communique_words(&json!({
            "published": "2026-12-07T10:00:00-06:00", "updated": "2026-12-09T09:00:00-06:00", "corrections": 1,
        }));
        assert_eq!(c["published_text"], "lunes 7 de diciembre de 2026");
        assert_eq!(c["updated_text"], "miércoles 9 de diciembre de 2026");
        let c = communique_words(
            &json!({ "published": "2026-12-07T10:00:00-06:00", "corrections": 0 }),
        );
        assert!(c["updated_text"].is_null());
        assert!(valid_number("12"));
        assert!(!valid_number("1a") && !valid_number("") && !valid_number("-1"));
    }
}
