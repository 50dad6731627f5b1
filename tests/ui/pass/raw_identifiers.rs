//! Raw identifiers as struct and field names.

#![allow(non_camel_case_types)]

use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
struct r#match {
    #[kupikupi(id)]
    r#type: u64,
    #[kupikupi(amount)]
    r#ref: u64,
    #[kupikupi(description)]
    r#async: String,
}

fn main() {
    let order = r#match { r#type: 5, r#ref: 100, r#async: String::new() };
    assert_eq!(*order.id(), 5);
}
