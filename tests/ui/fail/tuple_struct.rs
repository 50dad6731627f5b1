use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
struct Order(#[kupikupi(id)] u64, #[kupikupi(amount)] u64);

fn main() {}
