use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
union Order {
    id: u64,
    total: u64,
}

fn main() {}
