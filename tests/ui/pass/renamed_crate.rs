//! The core crate under another name, reached with `crate = "..."`.

pub extern crate kupikupi as payments;

use payments::KupiKupiOrder;

mod shop {
    pub use payments as api;
}

#[derive(KupiKupiOrder)]
#[kupikupi(crate = "payments")]
struct Order {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
}

#[derive(KupiKupiOrder)]
#[kupikupi(crate = "crate::shop::api")]
struct Reexported {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
}

fn main() {
    let _ = Order { id: 1, total: 1 }.order_id();
    let _ = Reexported { id: 1, total: 1 }.order_id();
}
