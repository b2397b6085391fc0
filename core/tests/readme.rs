//! The endpoint table in README.md is rendered from the catalog and must stay true.
//! `WXPAY_UPDATE_README=1 cargo test -p wxpay-terminate --test readme` rewrites it.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::fs;
use std::path::Path;

use wxpay_terminate::{FieldType, Host, Location, OPERATIONS};

const START: &str =
    "<!-- endpoints:start (generated from core/src/catalog by core/tests/readme.rs) -->";
const END: &str = "<!-- endpoints:end -->";

fn render() -> String {
    let mut out = String::from(
        "| operation id | endpoint | success | path params | query / body fields (* required) | result | confirmed by |\n|---|---|---|---|---|---|---|\n",
    );
    for entry in OPERATIONS {
        let s = entry.spec;
        let host = match s.host {
            Host::Api => String::new(),
            Host::Global => Host::Global.default_origin().to_owned(),
        };
        let describe = |location: Location| {
            let fields: Vec<String> = s
                .fields
                .iter()
                .filter(|f| f.location == location)
                .map(|f| {
                    let mut text = format!(
                        "`{}`{}",
                        f.name,
                        if f.required && location != Location::Path {
                            "*"
                        } else {
                            ""
                        }
                    );
                    if f.ty == FieldType::Integer {
                        text.push_str(" int");
                    }
                    if let Some(max) = f.limits.max_chars {
                        text.push_str(&format!(" ≤{max}"));
                    }
                    if f.limits.alnum {
                        text.push_str(" alnum");
                    }
                    text
                })
                .collect();
            if fields.is_empty() {
                "—".to_owned()
            } else {
                fields.join(", ")
            }
        };
        let query_and_body = match (describe(Location::Query), describe(Location::Body)) {
            (query, body) if query == "—" => body,
            (query, body) if body == "—" => format!("query: {query}"),
            (query, body) => format!("query: {query}; body: {body}"),
        };
        let confirmed_by = match (s.confirm_with, s.gone_when_terminated) {
            (Some(query), _) => format!("`{query}`"),
            (None, true) => "(a query; 404 may mean terminated)".to_owned(),
            (None, false) => "(a query)".to_owned(),
        };
        out.push_str(&format!(
            "| `{}` | `{} {}{}` {} | {} | {} | {} | {} | {} |\n",
            s.id,
            s.method,
            host,
            s.path,
            s.title,
            s.success_status,
            describe(Location::Path),
            query_and_body,
            if s.output == "NoContent" {
                "empty (204)".to_owned()
            } else {
                format!("`{}`", s.output)
            },
            confirmed_by,
        ));
    }
    out
}

#[test]
fn readme_endpoint_table_matches_the_catalog() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = fs::read_to_string(&path).unwrap();
    let (Some(start), Some(end)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md lacks the endpoint table markers");
    };
    let current = &readme[start + START.len()..end];
    let expected = format!("\n{}", render());
    if current != expected {
        if std::env::var_os("WXPAY_UPDATE_README").is_some() {
            let updated = format!(
                "{}{}{}",
                &readme[..start + START.len()],
                expected,
                &readme[end..]
            );
            fs::write(&path, updated).unwrap();
        } else {
            panic!(
                "README endpoint table is stale; run with WXPAY_UPDATE_README=1. Expected:\n{expected}"
            );
        }
    }
}
