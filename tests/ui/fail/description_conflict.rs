use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
#[kupikupi(description = "Order {id}")]
struct Order {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
    #[kupikupi(description)]
    title: String,
}

fn main() {}
