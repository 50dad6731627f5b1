use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
struct Order {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(id)]
    number: String,
    #[kupikupi(amount)]
    total: u64,
}

fn main() {}
