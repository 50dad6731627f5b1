use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
#[kupikupi(id)]
struct Order {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
    #[kupikupi(success_url = "/orders/{id}")]
    url: String,
}

fn main() {}
