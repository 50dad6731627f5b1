use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
struct Order {
    id: u64,
    #[kupikupi(amount)]
    total: u64,
}

fn main() {}
