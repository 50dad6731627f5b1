use kupikupi::KupiKupiOrder;

struct Reference(u64);

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(KupiKupiOrder)]
struct Order {
    #[kupikupi(id)]
    id: Reference,
    #[kupikupi(amount)]
    total: u64,
}

#[derive(KupiKupiOrder)]
struct Borrowed<'a> {
    #[kupikupi(id)]
    id: &'a str,
    #[kupikupi(amount)]
    total: u64,
}

fn main() {}
