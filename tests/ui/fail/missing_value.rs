use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
#[kupikupi(id_prefix, description)]
#[kupikupi(success_url = 5, crate = "not a path")]
#[kupikupi(fail_url = "/a", fail_url = "/b")]
struct Order {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
}

fn main() {}
