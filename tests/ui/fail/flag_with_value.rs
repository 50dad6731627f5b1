use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
struct Order {
    #[kupikupi(id = 5)]
    id: u64,
    #[kupikupi(amount(kopecks))]
    total: u64,
    #[kupikupi(description = "Order")]
    title: String,
}

fn main() {}
