use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
struct Order {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
    #[kupikupi(rubles)]
    price: u64,
}

fn main() {}
