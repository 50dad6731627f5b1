//! The routes' replies: short HTML pages for browsers and RFC 9457 problem
//! details for clients that ask for JSON.

use std::fmt::Write as _;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

/// The media type of RFC 9457 problem details.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// A failed request as the client sees it. The text never carries internal
/// details; those go to the log.
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    code: &'static str,
    heading: &'static str,
    detail: &'static str,
    /// Extra HTML for the page, already escaped, such as a form.
    extra_html: Option<String>,
    allow: Option<&'static str>,
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
}

impl Problem {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        heading: &'static str,
        detail: &'static str,
    ) -> Self {
        Problem {
            status,
            code,
            heading,
            detail,
            extra_html: None,
            allow: None,
        }
    }

    pub(crate) fn with_html(mut self, html: String) -> Self {
        self.extra_html = Some(html);
        self
    }

    pub(crate) fn with_allow(mut self, methods: &'static str) -> Self {
        self.allow = Some(methods);
        self
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// Builds the reply in the form the request accepts.
    pub(crate) fn respond(&self, request: &HttpRequest) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        builder.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(methods) = self.allow {
            builder.insert_header((header::ALLOW, methods));
        }
        if wants_json(request) {
            let body = ProblemBody {
                kind: "about:blank",
                title: self.status.canonical_reason().unwrap_or("Error"),
                status: self.status.as_u16(),
                detail: self.detail,
                code: self.code,
            };
            // A struct of strings and an integer always serializes.
            let json = serde_json::to_string(&body).unwrap_or_default();
            builder.content_type(PROBLEM_JSON).body(json)
        } else {
            let mut html = page_start(self.heading);
            let _ = write!(html, "<p>{}</p>", escape_html(self.detail));
            if let Some(extra) = &self.extra_html {
                html.push_str(extra);
            }
            html.push_str("</body></html>\n");
            html_response(builder, html)
        }
    }
}

/// A `200 OK` page with a heading, a paragraph and extra HTML.
pub(crate) fn page(heading: &str, text: &str, extra_html: &str) -> HttpResponse {
    let mut html = page_start(heading);
    let _ = writeln!(
        html,
        "<p>{}</p>{extra_html}</body></html>",
        escape_html(text)
    );
    let mut builder = HttpResponse::Ok();
    builder.insert_header((header::CACHE_CONTROL, "no-store"));
    html_response(builder, html)
}

/// `303 See Other` to a location the caller has checked.
pub(crate) fn see_other(location: &str) -> HttpResponse {
    match HeaderValue::from_str(location) {
        Ok(value) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, value))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        // A parsed URL or a checked path never has control characters.
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

fn html_response(mut builder: actix_web::HttpResponseBuilder, html: String) -> HttpResponse {
    builder
        .content_type("text/html; charset=utf-8")
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(html)
}

fn page_start(heading: &str) -> String {
    let heading = escape_html(heading);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{heading}</title></head><body><h1>{heading}</h1>"
    )
}

/// Whether the client asked for JSON rather than a page: its `Accept`
/// header names a JSON type and not HTML, which browsers always name.
pub(crate) fn wants_json(request: &HttpRequest) -> bool {
    let Some(accept) = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let mut json = false;
    for range in accept.split(',') {
        let media_type = range
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if media_type == "text/html" {
            return false;
        }
        if media_type == "application/json"
            || (media_type.starts_with("application/") && media_type.ends_with("+json"))
        {
            json = true;
        }
    }
    json
}

/// Escapes text for an HTML element or a quoted attribute.
pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn escape_html_replaces_markup() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn wants_json_for_json_accept() {
        let request = TestRequest::default()
            .insert_header((header::ACCEPT, "application/json"))
            .to_http_request();
        assert!(wants_json(&request));
    }

    #[test]
    fn wants_json_for_problem_json_accept() {
        let request = TestRequest::default()
            .insert_header((header::ACCEPT, "application/problem+json; q=0.9"))
            .to_http_request();
        assert!(wants_json(&request));
    }

    #[test]
    fn wants_html_for_browser_accept() {
        let request = TestRequest::default()
            .insert_header((
                header::ACCEPT,
                "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
            ))
            .to_http_request();
        assert!(!wants_json(&request));
    }

    #[test]
    fn wants_html_without_accept() {
        assert!(!wants_json(&TestRequest::default().to_http_request()));
    }
}
