use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
enum Order {
    Paid { id: u64 },
    Open { id: u64 },
}

fn main() {}
