//! Parses `#[kupikupi(...)]` attributes into plain structs.
//!
//! Only the syntax is checked here; which field plays which role, and whether
//! the strings are valid, is checked in `valid`.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Path, Token};

use crate::errors::{Errors, closest, list};

const FIELD_KEYS: &[&str] = &["id", "amount", "rubles", "phone", "description"];
const TYPE_KEYS: &[&str] = &[
    "crate",
    "description",
    "success_url",
    "fail_url",
    "id_prefix",
];

/// The attributes on the struct itself.
#[derive(Default)]
pub(crate) struct TypeAttrs {
    pub(crate) krate: Option<Path>,
    pub(crate) description: Option<LitStr>,
    pub(crate) success_url: Option<LitStr>,
    pub(crate) fail_url: Option<LitStr>,
    pub(crate) id_prefix: Option<LitStr>,
}

/// The flags on one field; each is the span of its key.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) id: Option<Span>,
    pub(crate) amount: Option<Span>,
    pub(crate) rubles: Option<Span>,
    pub(crate) phone: Option<Span>,
    pub(crate) description: Option<Span>,
    /// Known keys suggested for misspelled ones, so that a typo such as
    /// `amout` is not also reported as a missing `amount`.
    pub(crate) suggested: Vec<&'static str>,
}

fn kupikupi_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("kupikupi"))
}

fn key_name(path: &Path) -> String {
    path.segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Consumes whatever follows a key (`= value` or `(...)`) so that parsing
/// continues with the next key after an error has been recorded.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Option<TokenStream>> {
    if meta.input.peek(Token![=]) {
        let eq_token: Token![=] = meta.input.parse()?;
        let expr: Expr = meta.input.parse()?;
        Ok(Some(quote::quote!(#eq_token #expr)))
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        let parens = syn::parenthesized!(content in meta.input);
        let inner: TokenStream = content.parse()?;
        let mut tokens = TokenStream::new();
        parens.surround(&mut tokens, |tokens| tokens.extend(inner));
        Ok(Some(tokens))
    } else {
        Ok(None)
    }
}

/// Records an unknown key and returns the known key it is a typo of, if any.
fn unknown_key(
    errors: &mut Errors,
    path: &Path,
    name: &str,
    here: &[&'static str],
    elsewhere: &[&str],
) -> Option<&'static str> {
    let (place, other_place) = if here == FIELD_KEYS {
        ("field", "struct")
    } else {
        ("struct", "field")
    };
    let suggestion = closest(name, here);
    if elsewhere.contains(&name) {
        errors.spanned(
            path,
            format_args!(
                "#[kupikupi({name})] is a {other_place} attribute; move it from the {place} to the {other_place}"
            ),
        );
    } else if let Some(suggestion) = suggestion {
        errors.spanned(
            path,
            format_args!(
                "unknown {place} attribute #[kupikupi({name})], did you mean `{suggestion}`?"
            ),
        );
    } else {
        errors.spanned(
            path,
            format_args!(
                "unknown {place} attribute #[kupikupi({name})]; expected one of: {}",
                list(here)
            ),
        );
    }
    suggestion
}

/// Parses the struct's `#[kupikupi(...)]` attributes.
pub(crate) fn type_attrs(attrs: &[Attribute], errors: &mut Errors) -> TypeAttrs {
    let mut parsed = TypeAttrs::default();
    for attr in kupikupi_attrs(attrs) {
        let result = attr.parse_nested_meta(|meta| {
            let name = key_name(&meta.path);
            if name == "crate" {
                if let Some(lit) = string_value(&meta, &name, "::kupikupi", errors)? {
                    match lit.parse::<Path>() {
                        Ok(path) => set_once(&mut parsed.krate, path, &meta, &name, errors),
                        Err(_) => errors.spanned(
                            &lit,
                            format_args!(
                                "#[kupikupi(crate = {:?})] is not a path; write the path of the renamed dependency, such as #[kupikupi(crate = \"::kupikupi\")]",
                                lit.value()
                            ),
                        ),
                    }
                }
                return Ok(());
            }
            let (slot, example) = match name.as_str() {
                "description" => (&mut parsed.description, "Order {id}"),
                "success_url" => (&mut parsed.success_url, "/orders/{id}"),
                "fail_url" => (&mut parsed.fail_url, "/orders/{id}?failed"),
                "id_prefix" => (&mut parsed.id_prefix, "shop1-"),
                _ => {
                    let _ = unknown_key(errors, &meta.path, &name, TYPE_KEYS, FIELD_KEYS);
                    skip_value(&meta)?;
                    return Ok(());
                }
            };
            if let Some(lit) = string_value(&meta, &name, example, errors)? {
                set_once(slot, lit, &meta, &name, errors);
            }
            Ok(())
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    parsed
}

/// Parses `= "text"` after a struct key; records an error and returns `None`
/// when the value is missing or is not a string literal.
fn string_value(
    meta: &ParseNestedMeta<'_>,
    name: &str,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<LitStr>> {
    if !meta.input.peek(Token![=]) {
        let hint = if name == "description" {
            ", or mark a field with #[kupikupi(description)]"
        } else {
            ""
        };
        errors.spanned(
            &meta.path,
            format_args!(
                "#[kupikupi({name})] needs a value: #[kupikupi({name} = {example:?})]{hint}"
            ),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(Some(lit)),
        other => {
            errors.spanned(
                &other,
                format_args!(
                    "#[kupikupi({name} = ...)] expects a string literal: #[kupikupi({name} = {example:?})]"
                ),
            );
            Ok(None)
        }
    }
}

fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    meta: &ParseNestedMeta<'_>,
    name: &str,
    errors: &mut Errors,
) {
    if slot.is_some() {
        errors.spanned(
            &meta.path,
            format_args!("duplicate #[kupikupi({name} = ...)]; keep one"),
        );
    } else {
        *slot = Some(value);
    }
}

/// Parses one field's `#[kupikupi(...)]` attributes.
pub(crate) fn field_attrs(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut parsed = FieldAttrs::default();
    for attr in kupikupi_attrs(attrs) {
        let result = attr.parse_nested_meta(|meta| {
            let name = key_name(&meta.path);
            let slot = match name.as_str() {
                "id" => &mut parsed.id,
                "amount" => &mut parsed.amount,
                "rubles" => &mut parsed.rubles,
                "phone" => &mut parsed.phone,
                "description" => &mut parsed.description,
                _ => {
                    let suggested = unknown_key(errors, &meta.path, &name, FIELD_KEYS, TYPE_KEYS);
                    parsed.suggested.extend(suggested);
                    skip_value(&meta)?;
                    return Ok(());
                }
            };
            let span = syn::spanned::Spanned::span(&meta.path);
            if let Some(value) = skip_value(&meta)? {
                let message = if name == "description" {
                    "#[kupikupi(description)] on a field takes no value; to describe every order with a template, put #[kupikupi(description = \"...\")] on the struct".to_owned()
                } else {
                    format!("#[kupikupi({name})] takes no value; write #[kupikupi({name})]")
                };
                errors.spanned(value, message);
            } else if slot.is_some() {
                errors.at(
                    span,
                    format_args!("duplicate #[kupikupi({name})] on this field; remove one"),
                );
            }
            slot.get_or_insert(span);
            Ok(())
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    parsed
}
