use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
struct Order {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
    #[kupikupi(amount, rubles)]
    total_rubles: u64,
}

fn main() {}
