use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
#[kupikupi(
    description = "Order {order_id} for {customer}",
    success_url = "/orders/{id",
    fail_url = "/orders/{id}}"
)]
struct Order {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
}

fn main() {}
