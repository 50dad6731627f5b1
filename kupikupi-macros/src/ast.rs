//! The derive's input: a struct with named fields and its attributes.

use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Generics, Ident, Type};

use crate::attr::{self, FieldAttrs, TypeAttrs};
use crate::errors::Errors;

const SHAPE_HINT: &str = "derive it on a struct with named fields, such as `struct Order { #[kupikupi(id)] id: u64, #[kupikupi(amount)] total: u64 }`";

/// The struct being derived.
pub(crate) struct Input<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) generics: &'a Generics,
    pub(crate) attrs: TypeAttrs,
    pub(crate) fields: Vec<Field<'a>>,
}

/// One named field.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: FieldAttrs,
}

impl<'a> Input<'a> {
    /// Reads the derive input. Records an error for anything but a struct
    /// with named fields, and still returns what could be read.
    pub(crate) fn from_syn(input: &'a DeriveInput, errors: &mut Errors) -> Input<'a> {
        let attrs = attr::type_attrs(&input.attrs, errors);
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named
                    .named
                    .iter()
                    .filter_map(|field| {
                        Some(Field {
                            ident: field.ident.as_ref()?,
                            ty: &field.ty,
                            attrs: attr::field_attrs(&field.attrs, errors),
                        })
                    })
                    .collect(),
                Fields::Unnamed(unnamed) => {
                    errors.at(
                        unnamed.span(),
                        format_args!(
                            "#[derive(KupiKupiOrder)] needs named fields, not a tuple struct; {SHAPE_HINT}"
                        ),
                    );
                    Vec::new()
                }
                Fields::Unit => {
                    errors.at(
                        input.ident.span(),
                        format_args!(
                            "#[derive(KupiKupiOrder)] needs named fields, not a unit struct; {SHAPE_HINT}"
                        ),
                    );
                    Vec::new()
                }
            },
            Data::Enum(data) => {
                errors.at(
                    data.enum_token.span,
                    format_args!("#[derive(KupiKupiOrder)] does not support enums; {SHAPE_HINT}"),
                );
                Vec::new()
            }
            Data::Union(data) => {
                errors.at(
                    data.union_token.span,
                    format_args!("#[derive(KupiKupiOrder)] does not support unions; {SHAPE_HINT}"),
                );
                Vec::new()
            }
        };
        Input {
            ident: &input.ident,
            generics: &input.generics,
            attrs,
            fields,
        }
    }

    /// Whether the input has the shape the derive supports.
    pub(crate) fn is_named_struct(input: &DeriveInput) -> bool {
        matches!(
            &input.data,
            Data::Struct(data) if matches!(data.fields, Fields::Named(_))
        )
    }
}
