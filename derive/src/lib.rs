//! monitoring-stack's proc macros, both for a smaller WebAssembly module (wasm/README.md, "Size"):
//! `json_template` (the `json!` of `src/json.rs`, see `json.rs` here) and
//! `#[derive(SpecDeserialize)]`: `serde::Deserialize` for the spec's structs, table-driven.
//!
//! serde's own derive writes a visitor per struct (a field-name matcher, the loop over the
//! entries, a duplicate check, an `Option` and a drop path per field, ...): about 3 KB of
//! WebAssembly per spec struct, 130 KB of the npm module. This derive writes only what differs
//! between structs: the field names, a `match` that reads the field with the given index, and
//! how missing fields are filled in. The loop, the field-name lookup and the errors are written
//! once, in `src/spec/fields.rs` (`crate::spec::fields`, so the derive is for this crate only).
//!
//! It reads the same `#[serde(...)]` attributes serde does (so `schemars::JsonSchema`, which
//! reads them too, describes what is parsed), and the messages are serde's own: `unknown field
//! `x`, expected one of ...`, `missing field `x``, `duplicate field `x``, `invalid type: ...,
//! expected struct X`.
//!
//! Supported, all that the spec uses: on the struct `rename_all = "camelCase"`,
//! `deny_unknown_fields` (required), `default`, `bound = "..."` (ignored: no bounds are added);
//! on a field `rename = "..."`, `default`, `default = "path"`, `skip`, `deserialize_with =
//! "path"`, `skip_serializing_if` (serialisation only). Anything else is a compile error, so
//! a struct never silently reads differently from what its attributes say. A missing field
//! without a default is an error, except an `Option<...>` field (`None`), as in serde.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{parse_macro_input, spanned::Spanned, Data, DeriveInput, Fields, LitStr};

mod json;

/// `json!` for the expansion's bodies, compiled to a template (see `json.rs`); used through
/// `crate::json::json` (src/json.rs), which holds the run-time half.
#[proc_macro]
pub fn json_template(input: TokenStream) -> TokenStream {
    json::expand(input.into()).into()
}

#[proc_macro_derive(SpecDeserialize, attributes(serde))]
pub fn derive_spec_deserialize(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

#[derive(Default)]
struct Container {
    camel_case: bool,
    deny_unknown_fields: bool,
    default: bool,
}

enum Default_ {
    None,
    Trait,
    Path(syn::ExprPath),
}

struct Field<'a> {
    ident: &'a syn::Ident,
    ty: &'a syn::Type,
    name: String,
    default: Default_,
    skip: bool,
    with: Option<syn::ExprPath>,
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let container = container_attributes(input)?;
    if !container.deny_unknown_fields {
        return Err(syn::Error::new(
            input.ident.span(),
            "SpecDeserialize needs #[serde(deny_unknown_fields)]: spec structs refuse unknown fields",
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "SpecDeserialize is for structs with named fields (enums: serde's derive)",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new(
            input.ident.span(),
            "SpecDeserialize is for structs with named fields",
        ));
    };
    let mut fields = Vec::new();
    for field in &named.named {
        fields.push(field_attributes(field, &container)?);
    }
    let read: Vec<&Field> = fields.iter().filter(|f| !f.skip).collect();
    if read.len() > 64 {
        return Err(syn::Error::new(
            input.ident.span(),
            "SpecDeserialize: at most 64 fields (fields.rs keeps the fields seen in a u64)",
        ));
    }

    let ident = &input.ident;
    let type_name = ident.to_string();
    let names = read.iter().map(|f| &f.name);
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let mut de_generics = input.generics.clone();
    de_generics.params.insert(0, syn::parse_quote!('de));
    let (de_impl_generics, _, _) = de_generics.split_for_impl();

    let default_of = |field: &Field| match &field.default {
        Default_::Path(path) => Some(quote!(#path())),
        Default_::Trait => Some(quote!(::core::default::Default::default())),
        Default_::None => None,
    };

    let (state, start, arms, finish);
    if container.default {
        // The state is the struct itself, starting from its `Default`; a field read replaces
        // the default. A field's own default wins over the struct's, as in serde.
        state = quote!(Self);
        let own_defaults = fields.iter().filter_map(|field| {
            let ident = field.ident;
            default_of(field).map(|value| quote!(state.#ident = #value;))
        });
        start = quote! {
            let mut state: Self = ::core::default::Default::default();
            #(#own_defaults)*
            state
        };
        arms = read
            .iter()
            .enumerate()
            .map(|(index, field)| {
                let ident = field.ident;
                match &field.with {
                    Some(path) => quote!(#index => state.#ident = #path(__d)?,),
                    None => {
                        quote!(#index => crate::spec::fields::read_into(&mut state.#ident, __d)?,)
                    }
                }
            })
            .collect::<Vec<_>>();
        finish = quote!(::core::result::Result::Ok(state));
    } else {
        // The state is an `Option` per read field; missing ones are filled in at the end.
        let types = read.iter().map(|f| f.ty);
        state = quote!((#(::core::option::Option<#types>,)*));
        let nones = read.iter().map(|_| quote!(::core::option::Option::None));
        start = quote!((#(#nones,)*));
        arms = read
            .iter()
            .enumerate()
            .map(|(index, field)| {
                let slot = syn::Index::from(index);
                match &field.with {
                    Some(path) => {
                        quote!(#index => state.#slot = ::core::option::Option::Some(#path(__d)?),)
                    }
                    None => {
                        quote!(#index => crate::spec::fields::read_some(&mut state.#slot, __d)?,)
                    }
                }
            })
            .collect::<Vec<_>>();
        let mut slot = 0;
        let values = fields.iter().map(|field| {
            let ident = field.ident;
            if field.skip {
                return quote!(#ident: ::core::default::Default::default());
            }
            let index = syn::Index::from(slot);
            slot += 1;
            let name = &field.name;
            let missing = default_of(field).unwrap_or_else(|| {
                if is_option(field.ty) {
                    quote!(::core::option::Option::None)
                } else {
                    quote!(return ::core::result::Result::Err(__E::missing_field(#name)))
                }
            });
            quote! {
                #ident: match state.#index {
                    ::core::option::Option::Some(value) => value,
                    ::core::option::Option::None => #missing,
                }
            }
        });
        finish = quote!(::core::result::Result::Ok(#ident { #(#values,)* }));
    }

    Ok(quote! {
        #[automatically_derived]
        #[allow(clippy::unused_unit)]
        impl #impl_generics crate::spec::fields::SpecStruct for #ident #type_generics #where_clause {
            const NAME: &'static str = #type_name;
            const FIELDS: &'static [&'static str] = &[#(#names),*];
            type State = #state;

            fn start() -> Self::State {
                #start
            }

            fn read_field<'de, __D: ::serde::Deserializer<'de>>(
                state: &mut Self::State,
                index: usize,
                __d: __D,
            ) -> ::core::result::Result<(), __D::Error> {
                match index {
                    #(#arms)*
                    _ => {}
                }
                ::core::result::Result::Ok(())
            }

            #[allow(unused_variables)]
            fn finish<__E: ::serde::de::Error>(
                state: Self::State,
            ) -> ::core::result::Result<Self, __E> {
                #finish
            }
        }

        #[automatically_derived]
        impl #de_impl_generics ::serde::Deserialize<'de> for #ident #type_generics #where_clause {
            fn deserialize<__D: ::serde::Deserializer<'de>>(
                deserializer: __D,
            ) -> ::core::result::Result<Self, __D::Error> {
                crate::spec::fields::deserialize(deserializer)
            }
        }
    })
}

fn container_attributes(input: &DeriveInput) -> syn::Result<Container> {
    let mut container = Container::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                let rule: LitStr = meta.value()?.parse()?;
                if rule.value() != "camelCase" {
                    return Err(meta.error("SpecDeserialize: only rename_all = \"camelCase\""));
                }
                container.camel_case = true;
            } else if meta.path.is_ident("deny_unknown_fields") {
                container.deny_unknown_fields = true;
            } else if meta.path.is_ident("default") {
                if meta.input.peek(syn::Token![=]) {
                    return Err(meta.error("SpecDeserialize: only a plain `default` on the struct"));
                }
                container.default = true;
            } else if meta.path.is_ident("bound") {
                let _: LitStr = meta.value()?.parse()?;
            } else {
                return Err(meta.error("SpecDeserialize does not support this serde attribute"));
            }
            Ok(())
        })?;
    }
    Ok(container)
}

fn field_attributes<'a>(field: &'a syn::Field, container: &Container) -> syn::Result<Field<'a>> {
    let ident = field
        .ident
        .as_ref()
        .ok_or_else(|| syn::Error::new(field.span(), "SpecDeserialize: named fields only"))?;
    let mut name = None;
    let mut default = Default_::None;
    let mut skip = false;
    let mut with = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: LitStr = meta.value()?.parse()?;
                name = Some(value.value());
            } else if meta.path.is_ident("default") {
                default = if meta.input.peek(syn::Token![=]) {
                    let path: LitStr = meta.value()?.parse()?;
                    Default_::Path(path.parse()?)
                } else {
                    Default_::Trait
                };
            } else if meta.path.is_ident("skip") {
                skip = true;
            } else if meta.path.is_ident("deserialize_with") {
                let path: LitStr = meta.value()?.parse()?;
                with = Some(path.parse()?);
            } else if meta.path.is_ident("skip_serializing_if") {
                let _: LitStr = meta.value()?.parse()?;
            } else {
                return Err(meta.error("SpecDeserialize does not support this serde attribute"));
            }
            Ok(())
        })?;
    }
    let raw = ident.to_string();
    let raw = raw.strip_prefix("r#").unwrap_or(&raw).to_string();
    let name = name.unwrap_or_else(|| {
        if container.camel_case {
            camel_case(&raw)
        } else {
            raw
        }
    });
    Ok(Field {
        ident,
        ty: &field.ty,
        name,
        default,
        skip,
        with,
    })
}

/// serde's `rename_all = "camelCase"` for a snake_case field name.
fn camel_case(field: &str) -> String {
    let mut out = String::new();
    let mut capitalize = false;
    for ch in field.chars() {
        if ch == '_' {
            capitalize = !out.is_empty();
        } else if capitalize {
            out.push(ch.to_ascii_uppercase());
            capitalize = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// `Option<...>` as written (serde fills a missing `Option` field with `None`).
fn is_option(ty: &syn::Type) -> bool {
    let syn::Type::Path(path) = ty else {
        return false;
    };
    path.qself.is_none()
        && path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Option")
}
