use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
struct Order;

fn main() {}
