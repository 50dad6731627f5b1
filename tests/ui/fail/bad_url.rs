use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
#[kupikupi(success_url = "http://shop.example/orders/{id}", fail_url = "orders/{id}")]
struct Insecure {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
}

#[derive(KupiKupiOrder)]
#[kupikupi(success_url = "//evil.example/{id}", fail_url = "https://{id}.shop.example/")]
struct OtherHost {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
}

#[derive(KupiKupiOrder)]
#[kupikupi(success_url = "/orders/{id} done", fail_url = "https://user@shop.example/")]
struct Malformed {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
}

fn main() {}
