//! Id, phone and description types other than the plain ones.

use std::borrow::Cow;

use kupikupi::{KupiKupiOrder, Phone};
use uuid::Uuid;

#[derive(KupiKupiOrder)]
struct ByUuid<'a> {
    #[kupikupi(id)]
    id: Uuid,
    #[kupikupi(amount)]
    total: u64,
    #[kupikupi(phone)]
    phone: &'a str,
    #[kupikupi(description)]
    title: Cow<'a, str>,
}

#[derive(KupiKupiOrder)]
struct Optional {
    #[kupikupi(id)]
    id: i64,
    #[kupikupi(amount)]
    total: i64,
    #[kupikupi(phone)]
    phone: Option<Phone>,
    #[kupikupi(description)]
    title: Option<String>,
}

#[derive(KupiKupiOrder)]
struct IntegerPhone {
    #[kupikupi(id)]
    id: u16,
    #[kupikupi(amount)]
    total: u64,
    #[kupikupi(phone)]
    phone: i64,
}

fn main() {}
