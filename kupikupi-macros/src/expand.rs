//! Generates the `KupiKupiOrder` impl.

use std::collections::BTreeSet;

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Generics, Type, WherePredicate, parse_quote};

use crate::ast::Input;
use crate::errors::Errors;
use crate::valid::{self, Roles};

/// Expands the derive: the impl, or the compile errors and a stub impl.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let shape_ok = Input::is_named_struct(input);
    let parsed = Input::from_syn(input, &mut errors);
    let roles = valid::check(&parsed, shape_ok, &mut errors);
    if errors.is_empty() {
        implementation(&parsed, &roles)
    } else {
        let compile_errors = errors.to_compile_errors();
        let stub = stub(&parsed, &roles);
        quote!(#compile_errors #stub)
    }
}

/// The path of the derive's support module in the core crate.
fn private_path(input: &Input<'_>) -> TokenStream {
    match &input.attrs.krate {
        Some(krate) => quote!(#krate::__private_v0_1),
        None => quote!(::kupikupi::__private_v0_1),
    }
}

/// Whether `ty` mentions one of the struct's type parameters.
fn mentions_any(ty: &Type, params: &BTreeSet<String>) -> bool {
    fn walk(tokens: TokenStream, params: &BTreeSet<String>) -> bool {
        tokens.into_iter().any(|token| match token {
            TokenTree::Ident(ident) => params.contains(&ident.to_string()),
            TokenTree::Group(group) => walk(group.stream(), params),
            _ => false,
        })
    }
    walk(ty.to_token_stream(), params)
}

/// The struct's generics plus a bound for every role field whose type
/// depends on a type parameter, so that a generic order implements the
/// trait exactly when its field types allow it.
fn bounded_generics(input: &Input<'_>, roles: &Roles<'_>, private: &TokenStream) -> Generics {
    let params: BTreeSet<String> = input
        .generics
        .type_params()
        .map(|param| param.ident.to_string())
        .collect();
    let mut generics = input.generics.clone();
    let mut bounds: Vec<WherePredicate> = Vec::new();
    let mut bound = |field: Option<&crate::ast::Field<'_>>, required: TokenStream| {
        if let Some(field) = field {
            let ty = field.ty;
            if mentions_any(ty, &params) {
                bounds.push(parse_quote!(#ty: #required));
            }
        }
    };
    bound(roles.id, quote!(#private::OrderIdType));
    let amount_trait = if roles.rubles {
        quote!(#private::AmountRubles)
    } else {
        quote!(#private::AmountKopecks)
    };
    bound(roles.amount, amount_trait);
    bound(roles.phone, quote!(#private::PhoneField));
    bound(roles.description, quote!(#private::DescriptionField));
    generics.make_where_clause().predicates.extend(bounds);
    generics
}

fn template_const(name: &str, value: Option<&syn::LitStr>, private: &TokenStream) -> TokenStream {
    let Some(value) = value else {
        return TokenStream::new();
    };
    let name = syn::Ident::new(name, value.span());
    quote!(const #name: #private::Option<&'static str> = #private::Option::Some(#value);)
}

fn implementation(input: &Input<'_>, roles: &Roles<'_>) -> TokenStream {
    let (Some(id), Some(amount)) = (roles.id, roles.amount) else {
        // `valid::check` records an error for a missing id or amount, so
        // this branch only runs for inputs that `derive` reports as errors.
        return TokenStream::new();
    };
    let private = private_path(input);
    let ident = input.ident;
    let generics = bounded_generics(input, roles, &private);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let attrs = &input.attrs;

    let id_ty = id.ty;
    let id_field = id.ident;
    let id_type = quote_spanned!(id_ty.span()=> type Id = #id_ty;);

    let prefix = attrs
        .id_prefix
        .as_ref()
        .map(|prefix| quote!(const ID_PREFIX: &'static str = #prefix;));
    let description_const = template_const("DESCRIPTION", attrs.description.as_ref(), &private);
    let success_const = template_const("SUCCESS_URL", attrs.success_url.as_ref(), &private);
    let fail_const = template_const("FAIL_URL", attrs.fail_url.as_ref(), &private);

    let amount_ty = amount.ty;
    let amount_field = amount.ident;
    let convert = if roles.rubles {
        quote_spanned!(amount_ty.span()=> <#amount_ty as #private::AmountRubles>::rubles_to_kopecks)
    } else {
        quote_spanned!(amount_ty.span()=> <#amount_ty as #private::AmountKopecks>::to_kopecks)
    };

    let phone_body = match roles.phone {
        Some(phone) => {
            let ty = phone.ty;
            let field = phone.ident;
            let convert = quote_spanned!(ty.span()=> <#ty as #private::PhoneField>::to_phone);
            quote!(#convert(&self.#field))
        }
        None => quote!(#private::Result::Ok(#private::Option::None)),
    };

    let description_fn = roles.description.map(|description| {
        let ty = description.ty;
        let field = description.ident;
        let convert =
            quote_spanned!(ty.span()=> <#ty as #private::DescriptionField>::to_description);
        quote! {
            fn description(&self) -> #private::Option<#private::String> {
                #convert(&self.#field)
            }
        }
    });

    quote! {
        #[automatically_derived]
        impl #impl_generics #private::KupiKupiOrder for #ident #ty_generics #where_clause {
            #id_type
            #prefix
            #description_const
            #success_const
            #fail_const

            fn id(&self) -> &Self::Id {
                &self.#id_field
            }

            fn amount(&self) -> #private::Result<#private::Kopecks, #private::OrderError> {
                #convert(&self.#amount_field)
            }

            fn phone(
                &self,
            ) -> #private::Result<#private::Option<#private::Phone>, #private::OrderError> {
                #phone_body
            }

            #description_fn
        }
    }
}

/// An impl with the right signature next to the compile errors, so that the
/// merchant's other uses of the trait do not fail with follow-on errors.
/// The crate never compiles with it, because the errors stop the build.
fn stub(input: &Input<'_>, roles: &Roles<'_>) -> TokenStream {
    let private = private_path(input);
    let ident = input.ident;
    let generics = bounded_generics(input, roles, &private);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let id_ty = match roles.id {
        Some(id) => id.ty.to_token_stream(),
        None => quote!(#private::String),
    };
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::KupiKupiOrder for #ident #ty_generics #where_clause {
            type Id = #id_ty;

            fn id(&self) -> &Self::Id {
                ::core::unreachable!()
            }

            fn amount(&self) -> #private::Result<#private::Kopecks, #private::OrderError> {
                ::core::unreachable!()
            }

            fn phone(
                &self,
            ) -> #private::Result<#private::Option<#private::Phone>, #private::OrderError> {
                ::core::unreachable!()
            }
        }
    }
}
