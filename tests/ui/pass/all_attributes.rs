//! Every field and struct attribute at once.

use kupikupi::{KupiKupiOrder, Phone};

#[derive(KupiKupiOrder)]
#[kupikupi(
    id_prefix = "shop1-",
    success_url = "/orders/{id}",
    fail_url = "https://shop.example:8443/orders/{id}?failed#retry"
)]
struct Order {
    #[kupikupi(id)]
    id: String,
    #[kupikupi(amount, rubles)]
    price: u32,
    #[kupikupi(phone)]
    phone: Phone,
    #[kupikupi(description)]
    title: String,
    #[allow(dead_code)]
    note: &'static str,
}

#[derive(KupiKupiOrder)]
#[kupikupi(description = "Order {id}")]
#[kupikupi(crate = "::kupikupi")]
struct Split {
    #[kupikupi(id)]
    #[kupikupi(amount)]
    id: u64,
    #[kupikupi(phone)]
    phone: Option<u64>,
}

fn main() {
    let _ = Order::SUCCESS_URL;
    let _ = Split::DESCRIPTION;
}
