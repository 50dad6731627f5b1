use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
#[kupikupi(id_prefix = "shop 1/")]
struct Spaces {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
}

#[derive(KupiKupiOrder)]
#[kupikupi(id_prefix = "a-very-long-prefix-that-leaves-no-room-for-the-id-1")]
struct TooLong {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
}

fn main() {}
