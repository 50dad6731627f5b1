//! Cross-field checks: which field plays which role, float amounts, and the
//! strings of the struct attributes.

use proc_macro2::Span;
use syn::{GenericArgument, Ident, LitStr, PathArguments, Type};

use crate::ast::{Field, Input};
use crate::errors::Errors;

/// The maximum length of an order id the service accepts, in characters.
const ORDER_ID_MAX_LEN: usize = 50;

/// The field that plays each role. A role is `None` when it is optional and
/// unset, or required but missing (an error is then recorded).
pub(crate) struct Roles<'a> {
    pub(crate) id: Option<&'a Field<'a>>,
    pub(crate) amount: Option<&'a Field<'a>>,
    pub(crate) rubles: bool,
    pub(crate) phone: Option<&'a Field<'a>>,
    pub(crate) description: Option<&'a Field<'a>>,
}

/// Assigns roles to fields and checks everything that spans fields.
pub(crate) fn check<'a>(input: &'a Input<'a>, shape_ok: bool, errors: &mut Errors) -> Roles<'a> {
    let mut roles = Roles {
        id: None,
        amount: None,
        rubles: false,
        phone: None,
        description: None,
    };
    for field in &input.fields {
        let attrs = &field.attrs;
        assign(&mut roles.id, field, attrs.id, "id", "the order id", errors);
        assign(
            &mut roles.amount,
            field,
            attrs.amount,
            "amount",
            "the amount",
            errors,
        );
        assign(
            &mut roles.phone,
            field,
            attrs.phone,
            "phone",
            "the phone",
            errors,
        );
        assign(
            &mut roles.description,
            field,
            attrs.description,
            "description",
            "the description",
            errors,
        );
        if let Some(rubles) = attrs.rubles {
            if attrs.amount.is_some() {
                roles.rubles |= roles
                    .amount
                    .is_some_and(|amount| std::ptr::eq(amount, field));
            } else {
                errors.at(
                    rubles,
                    "#[kupikupi(rubles)] applies only to the amount field; write #[kupikupi(amount, rubles)] on the field that holds whole rubles",
                );
            }
        }
        if attrs.amount.is_some() {
            check_not_float(field, attrs.rubles.is_some(), errors);
        }
    }
    if shape_ok {
        check_missing(input, &roles, errors);
    }
    check_strings(input, &roles, errors);
    roles
}

/// Reports a missing id or amount, unless a misspelled key was already
/// reported as a likely typo of it.
fn check_missing(input: &Input<'_>, roles: &Roles<'_>, errors: &mut Errors) {
    let suggested = |key| {
        input
            .fields
            .iter()
            .any(|field| field.attrs.suggested.contains(&key))
    };
    if roles.id.is_none() && !suggested("id") {
        errors.at(
            input.ident.span(),
            "missing #[kupikupi(id)]: mark the field that holds the order id, such as `#[kupikupi(id)] id: u64`",
        );
    }
    if roles.amount.is_none() && !suggested("amount") {
        errors.at(
            input.ident.span(),
            "missing #[kupikupi(amount)]: mark the field that holds the amount in kopecks, such as `#[kupikupi(amount)] total: u64`, or in whole rubles with #[kupikupi(amount, rubles)]",
        );
    }
}

/// Checks the struct attributes' strings and the description conflict.
fn check_strings(input: &Input<'_>, roles: &Roles<'_>, errors: &mut Errors) {
    let attrs = &input.attrs;
    if let (Some(field), Some(template)) = (roles.description, &attrs.description)
        && let Some(span) = field.attrs.description
    {
        errors.at(
            span,
            format_args!(
                "#[kupikupi(description)] on field `{}` conflicts with #[kupikupi(description = {:?})] on the struct; keep one",
                field.ident.unraw(),
                template.value()
            ),
        );
    }
    if let Some(template) = &attrs.description {
        check_placeholders(template, "description", errors);
    }
    if let Some(url) = &attrs.success_url {
        check_url(url, "success_url", errors);
    }
    if let Some(url) = &attrs.fail_url {
        check_url(url, "fail_url", errors);
    }
    if let Some(prefix) = &attrs.id_prefix {
        check_prefix(prefix, errors);
    }
}

fn assign<'a>(
    slot: &mut Option<&'a Field<'a>>,
    field: &'a Field<'a>,
    flag: Option<Span>,
    key: &str,
    what: &str,
    errors: &mut Errors,
) {
    let Some(span) = flag else { return };
    match slot {
        Some(first) => errors.at(
            span,
            format_args!(
                "duplicate #[kupikupi({key})]: field `{}` already holds {what}; mark exactly one field",
                first.ident.unraw()
            ),
        ),
        None => *slot = Some(field),
    }
}

trait Unraw {
    fn unraw(&self) -> String;
}

impl Unraw for Ident {
    fn unraw(&self) -> String {
        let text = self.to_string();
        text.strip_prefix("r#").map(str::to_owned).unwrap_or(text)
    }
}

/// Finds `f32` or `f64` in an amount type, also behind references, `Option`
/// and `Box`, so that money is never stored in binary floating point.
fn float_in(ty: &Type) -> Option<&Ident> {
    match ty {
        Type::Reference(reference) => float_in(&reference.elem),
        Type::Paren(paren) => float_in(&paren.elem),
        Type::Group(group) => float_in(&group.elem),
        Type::Path(path) if path.qself.is_none() => {
            let segments = &path.path.segments;
            let last = segments.last()?;
            let name = last.ident.to_string();
            if name == "f32" || name == "f64" {
                let prefix_ok = segments.len() == 1
                    || segments
                        .iter()
                        .take(segments.len() - 1)
                        .map(|segment| segment.ident.to_string())
                        .collect::<Vec<_>>()
                        .join("::")
                        .ends_with("primitive");
                return prefix_ok.then_some(&last.ident);
            }
            if !matches!(name.as_str(), "Option" | "Box") {
                return None;
            }
            let PathArguments::AngleBracketed(arguments) = &last.arguments else {
                return None;
            };
            arguments.args.iter().find_map(|argument| match argument {
                GenericArgument::Type(inner) => float_in(inner),
                _ => None,
            })
        }
        _ => None,
    }
}

fn check_not_float(field: &Field<'_>, rubles: bool, errors: &mut Errors) {
    let Some(float) = float_in(field.ty) else {
        return;
    };
    let written = if rubles { "amount, rubles" } else { "amount" };
    errors.at(
        float.span(),
        format_args!(
            "#[kupikupi({written})] cannot be `{float}`: a float cannot store kopecks exactly; store an integer number of kopecks (`u64`, `i64` or `kupikupi::Kopecks`), whole rubles as an integer with #[kupikupi(amount, rubles)], or exact rubles as `rust_decimal::Decimal` with #[kupikupi(amount, rubles)] and the `decimal` feature of kupikupi"
        ),
    );
}

/// Checks that `{id}` is the only placeholder and every brace belongs to one.
/// Returns whether the template is valid.
fn check_placeholders(lit: &LitStr, key: &str, errors: &mut Errors) -> bool {
    let text = lit.value();
    let mut rest = text.as_str();
    let mut valid = true;
    while let Some(brace) = rest.find(['{', '}']) {
        if rest[brace..].starts_with('}') {
            errors.spanned(
                lit,
                format_args!(
                    "#[kupikupi({key} = {text:?})] has a `}}` without a matching `{{`; the only placeholder is `{{id}}`"
                ),
            );
            return false;
        }
        let after = &rest[brace + 1..];
        let Some(close) = after.find('}') else {
            errors.spanned(
                lit,
                format_args!(
                    "#[kupikupi({key} = {text:?})] has a `{{` without a matching `}}`; the only placeholder is `{{id}}`"
                ),
            );
            return false;
        };
        let name = &after[..close];
        if name != "id" {
            errors.spanned(
                lit,
                format_args!(
                    "#[kupikupi({key} = {text:?})] has the unknown placeholder `{{{name}}}`; the only placeholder is `{{id}}`, the order's id"
                ),
            );
            valid = false;
        }
        rest = &after[close + 1..];
    }
    valid
}

fn check_url(lit: &LitStr, key: &str, errors: &mut Errors) {
    if !check_placeholders(lit, key, errors) {
        return;
    }
    let text = lit.value();
    let expected = "expected a path starting with `/`, such as \"/orders/{id}\", or an absolute https URL, such as \"https://shop.example/orders/{id}\"";
    let mut fail = |problem: &str| {
        errors.spanned(lit, format_args!("#[kupikupi({key} = {text:?})] {problem}"));
    };
    if let Some(bad) = text
        .chars()
        .find(|character| character.is_whitespace() || character.is_control() || *character == '\\')
    {
        return fail(&format!(
            "contains {bad:?}, which a URL cannot carry; percent-encode it"
        ));
    }
    if text.starts_with("//") {
        return fail(&format!(
            "is a protocol-relative URL, which can lead to another host; {expected}"
        ));
    }
    if text.starts_with('/') {
        return;
    }
    let scheme_end = text.find("://").unwrap_or(0);
    let scheme = &text[..scheme_end];
    if scheme.eq_ignore_ascii_case("http") {
        return fail("uses http; the customer returns over https, so write https://");
    }
    if !scheme.eq_ignore_ascii_case("https") {
        return fail(&format!("is not a valid return URL; {expected}"));
    }
    let after_scheme = &text[scheme_end + 3..];
    let authority = &after_scheme[..after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len())];
    if authority.contains('@') {
        return fail("has user info before the host; remove the part up to `@`");
    }
    if authority.contains('{') {
        return fail(
            "has a placeholder in the host; `{id}` may appear only in the path, query or fragment",
        );
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|character| character.is_ascii_alphanumeric() || character == '-')
        });
    if !host_ok {
        return fail(&format!("has the invalid host {host:?}; {expected}"));
    }
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        fail(&format!(
            "has the invalid port {port:?}; a port is a number from 0 to 65535"
        ));
    }
}

/// Mirrors `kupikupi::is_order_id_char`: the characters of an order id.
fn is_order_id_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || matches!(character, '-' | '_' | '.')
}

fn check_prefix(lit: &LitStr, errors: &mut Errors) {
    let text = lit.value();
    if let Some(bad) = text.chars().find(|character| !is_order_id_char(*character)) {
        errors.spanned(
            lit,
            format_args!(
                "#[kupikupi(id_prefix = {text:?})] has the character {bad:?}, which an order id cannot carry; use ASCII letters, digits, `-`, `_` and `.`"
            ),
        );
    } else if text.len() >= ORDER_ID_MAX_LEN {
        errors.spanned(
            lit,
            format_args!(
                "#[kupikupi(id_prefix = ...)] has {} characters, but an order id has at most {ORDER_ID_MAX_LEN} including the prefix; shorten it so the id fits",
                text.len()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_rejected(text: &str) -> bool {
        let mut errors = Errors::default();
        check_url(
            &LitStr::new(text, Span::call_site()),
            "success_url",
            &mut errors,
        );
        !errors.is_empty()
    }

    fn prefix_rejected(text: &str) -> bool {
        let mut errors = Errors::default();
        check_prefix(&LitStr::new(text, Span::call_site()), &mut errors);
        !errors.is_empty()
    }

    fn float_found(ty: &str) -> bool {
        let ty: Type = syn::parse_str(ty).unwrap();
        float_in(&ty).is_some()
    }

    #[test]
    fn url_accepts_paths_and_https() {
        for text in [
            "/",
            "/orders/{id}",
            "/orders/{id}?failed#retry",
            "https://shop.example",
            "https://shop.example/orders/{id}?a=b#c",
            "https://shop.example:8443/orders",
            "HTTPS://Shop.Example/",
        ] {
            assert!(!url_rejected(text), "{text}");
        }
    }

    #[test]
    fn url_rejects_malformed() {
        for text in [
            "",
            "orders/{id}",
            "http://shop.example/",
            "ftp://shop.example/",
            "//shop.example/",
            "https://",
            "https:///orders",
            "https://user@shop.example/",
            "https://{id}.shop.example/",
            "https://shop.example:99999/",
            "https://shop..example/",
            "/orders/{id} done",
            "/orders\\{id}",
            "/orders/{ID}",
        ] {
            assert!(url_rejected(text), "{text}");
        }
    }

    #[test]
    fn prefix_accepts_order_id_characters() {
        assert!(!prefix_rejected("shop1-"));
        assert!(!prefix_rejected("a.b_c-D9"));
        assert!(!prefix_rejected(&"a".repeat(ORDER_ID_MAX_LEN - 1)));
    }

    #[test]
    fn prefix_rejects_other_characters() {
        assert!(prefix_rejected("shop 1"));
        assert!(prefix_rejected("shop/1"));
        assert!(prefix_rejected("магазин"));
        assert!(prefix_rejected("{id}"));
    }

    #[test]
    fn prefix_rejects_no_room_for_id() {
        assert!(prefix_rejected(&"a".repeat(ORDER_ID_MAX_LEN)));
    }

    #[test]
    fn float_found_behind_wrappers() {
        for ty in [
            "f64",
            "f32",
            "&'a f64",
            "Option<f32>",
            "Box<f64>",
            "core::primitive::f64",
            "&Option<f64>",
        ] {
            assert!(float_found(ty), "{ty}");
        }
    }

    #[test]
    fn float_not_found_in_integers() {
        for ty in ["u64", "i64", "Kopecks", "Decimal", "money::f64", "Vec<u8>"] {
            assert!(!float_found(ty), "{ty}");
        }
    }
}
