//! Beside serde and sqlx derives, with their field attributes.

use kupikupi::KupiKupiOrder;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, KupiKupiOrder)]
#[serde(rename_all = "camelCase")]
#[sqlx(rename_all = "snake_case")]
#[kupikupi(id_prefix = "db-", description = "Order {id}")]
struct Order {
    #[kupikupi(id)]
    #[sqlx(rename = "order_id")]
    id: i64,
    /// The total in kopecks.
    #[serde(rename = "total")]
    #[kupikupi(amount)]
    total_kopecks: i64,
    #[kupikupi(phone)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    customer_phone: Option<String>,
}

fn main() {}
