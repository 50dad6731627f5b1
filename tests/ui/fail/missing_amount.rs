use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
struct Order {
    #[kupikupi(id)]
    id: u64,
    total: u64,
}

fn main() {}
