//! The sandbox's in-memory state: platforms, customers, payments, and the
//! rules by which a payment moves from `NEW` to a final status.
//!
//! Every method here is synchronous and runs under the sandbox's mutex, so a
//! status change and the notification it queues happen as one step. Methods
//! that change a status push the notifications to send onto an
//! [`Outbox`]; the caller hands it to delivery once the lock is released.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kupikupi::wire::error_code;
use kupikupi::{Kopecks, OrderId, PaymentId, PaymentStatus, Phone, SecretKey, UidPlatform};
use url::Url;

use super::config::{Faults, SandboxPlatform};
use super::model::{
    Account, ApiFailure, CodeOutcome, FormView, InitFields, Notice, Outbox, Outgoing, PaymentReply,
    PaymentSnapshot, PendingCode,
};

/// Wrong codes a form accepts; the next wrong code rejects the payment.
pub(crate) const MAX_WRONG_CODES: u8 = 3;

#[derive(Debug)]
struct PlatformState {
    secret: SecretKey,
    shop_name: Option<String>,
    notification_url: Option<Url>,
    faults: Faults,
    received: Kopecks,
}

#[derive(Debug)]
struct PaymentRecord {
    uid: UidPlatform,
    order_id: OrderId,
    payment_id: PaymentId,
    amount: Kopecks,
    phone: Phone,
    status: PaymentStatus,
    code: String,
    form_key: String,
    wrong_codes: u8,
    deadline: Instant,
    description: Option<String>,
    success_url: Option<Url>,
    fail_url: Option<Url>,
    /// Notifications held back by the out-of-order fault until the payment
    /// is final.
    held: Vec<Notice>,
}

/// All sandbox state behind one mutex.
#[derive(Debug)]
pub(crate) struct State {
    base_url: Url,
    deadline: Duration,
    platforms: HashMap<UidPlatform, PlatformState>,
    customers: HashMap<Phone, Kopecks>,
    payments: HashMap<PaymentId, PaymentRecord>,
    /// The payments of each order, oldest first.
    orders: HashMap<(UidPlatform, OrderId), Vec<PaymentId>>,
    /// The payments of each customer, oldest first.
    by_phone: HashMap<Phone, Vec<PaymentId>>,
    forms: HashMap<String, PaymentId>,
    next_payment: u64,
}

impl State {
    pub(crate) fn new(
        base_url: Url,
        deadline: Duration,
        platforms: Vec<SandboxPlatform>,
        customers: HashMap<Phone, Kopecks>,
    ) -> Self {
        let platforms = platforms
            .into_iter()
            .map(|platform| {
                let state = PlatformState {
                    secret: platform.secret,
                    shop_name: platform.shop_name,
                    notification_url: platform.notification_url,
                    faults: platform.faults,
                    received: Kopecks::ZERO,
                };
                (platform.uid, state)
            })
            .collect();
        // Payment ids start at a random ten-digit number, so that two
        // sandbox runs against one shop database do not reuse ids.
        let next_payment = 1_000_000_000 + random_u64() % 8_000_000_000;
        State {
            base_url,
            deadline,
            platforms,
            customers,
            payments: HashMap::new(),
            orders: HashMap::new(),
            by_phone: HashMap::new(),
            forms: HashMap::new(),
            next_payment,
        }
    }

    /// The secret key of a platform, or `None` if it is not registered.
    pub(crate) fn secret(&self, uid: &UidPlatform) -> Option<&SecretKey> {
        self.platforms.get(uid).map(|platform| &platform.secret)
    }

    pub(crate) fn faults(&self, uid: &UidPlatform) -> Option<&Faults> {
        self.platforms.get(uid).map(|platform| &platform.faults)
    }

    /// Replaces a platform's faults; `false` if it is not registered.
    pub(crate) fn set_faults(&mut self, uid: &UidPlatform, faults: Faults) -> bool {
        match self.platforms.get_mut(uid) {
            Some(platform) => {
                platform.faults = faults;
                true
            }
            None => false,
        }
    }

    /// The notification URL of a platform: outer `None` if the platform is not
    /// registered, inner `None` if it has no URL yet.
    pub(crate) fn notification_url(&self, uid: &UidPlatform) -> Option<Option<&Url>> {
        self.platforms
            .get(uid)
            .map(|platform| platform.notification_url.as_ref())
    }

    /// Sets a platform's notification URL; `false` if it is not registered.
    pub(crate) fn set_notification_url(&mut self, uid: &UidPlatform, url: Url) -> bool {
        match self.platforms.get_mut(uid) {
            Some(platform) => {
                platform.notification_url = Some(url);
                true
            }
            None => false,
        }
    }

    /// The points a platform has received from confirmed payments.
    pub(crate) fn received(&self, uid: &UidPlatform) -> Option<Kopecks> {
        self.platforms.get(uid).map(|platform| platform.received)
    }

    pub(crate) fn balance(&self, phone: &Phone) -> Option<Kopecks> {
        self.customers.get(phone).copied()
    }

    /// Sets a customer's balance, registering the customer if needed.
    pub(crate) fn set_balance(&mut self, phone: Phone, balance: Kopecks) {
        self.customers.insert(phone, balance);
    }

    /// The phones of all customers, sorted.
    pub(crate) fn customers(&self) -> Vec<(Phone, Kopecks)> {
        let mut customers: Vec<_> = self
            .customers
            .iter()
            .map(|(phone, balance)| (phone.clone(), *balance))
            .collect();
        customers.sort();
        customers
    }

    /// Handles `Balance`.
    pub(crate) fn balance_call(&self, phone: &Phone) -> Result<Kopecks, ApiFailure> {
        self.balance(phone).ok_or_else(phone_not_registered)
    }

    /// Handles `Init`: returns the order's open payment for the same amount
    /// and phone, or starts a new one.
    pub(crate) fn init(
        &mut self,
        uid: &UidPlatform,
        fields: InitFields,
        now: Instant,
        outbox: &mut Outbox,
    ) -> Result<PaymentReply, ApiFailure> {
        let balance = self.balance_call(&fields.phone)?;
        let order_key = (uid.clone(), fields.order_id.clone());
        let latest = self
            .orders
            .get(&order_key)
            .and_then(|payments| payments.last())
            .cloned();
        if let Some(latest) = latest {
            self.expire_if_due(&latest, now, outbox);
            if let Some(record) = self.payments.get(&latest) {
                if record.status.is_paid() {
                    return Err(conflict("the order is already paid"));
                }
                if !record.status.is_final() {
                    if record.amount != fields.amount {
                        return Err(conflict(
                            "Amount: the order has an open payment for another amount",
                        ));
                    }
                    if record.phone != fields.phone {
                        return Err(conflict(
                            "Phone: the order has an open payment for another customer",
                        ));
                    }
                    return Ok(self.reply(record));
                }
            }
        }
        if balance < fields.amount {
            return Err(ApiFailure::new(
                error_code::NOT_ENOUGH_POINTS,
                "not enough points",
                format!("the customer has fewer points than {}", fields.amount),
            ));
        }
        self.create_payment(uid, fields, now, outbox)
    }

    fn create_payment(
        &mut self,
        uid: &UidPlatform,
        fields: InitFields,
        now: Instant,
        outbox: &mut Outbox,
    ) -> Result<PaymentReply, ApiFailure> {
        let payment_id = PaymentId::new(self.next_payment.to_string())
            .map_err(|source| ApiFailure::internal(source.to_string()))?;
        self.next_payment += 1;
        let form_key = format!("{:016x}{:016x}", random_u64(), random_u64());
        let record = PaymentRecord {
            uid: uid.clone(),
            order_id: fields.order_id,
            payment_id: payment_id.clone(),
            amount: fields.amount,
            phone: fields.phone,
            status: PaymentStatus::New,
            code: format!("{:06}", random_u64() % 1_000_000),
            form_key: form_key.clone(),
            wrong_codes: 0,
            deadline: now + self.deadline,
            description: fields.description,
            success_url: fields.success_url,
            fail_url: fields.fail_url,
            held: Vec::new(),
        };
        let reply = self.reply(&record);
        self.orders
            .entry((uid.clone(), record.order_id.clone()))
            .or_default()
            .push(payment_id.clone());
        self.by_phone
            .entry(record.phone.clone())
            .or_default()
            .push(payment_id.clone());
        self.forms.insert(form_key, payment_id.clone());
        self.payments.insert(payment_id.clone(), record);
        outbox.deadlines.push((payment_id, self.deadline));
        Ok(reply)
    }

    /// Handles `CheckOut`: the order's latest payment.
    pub(crate) fn check_out(
        &mut self,
        uid: &UidPlatform,
        order_id: &OrderId,
        now: Instant,
        outbox: &mut Outbox,
    ) -> Result<PaymentReply, ApiFailure> {
        let latest = self
            .orders
            .get(&(uid.clone(), order_id.clone()))
            .and_then(|payments| payments.last())
            .cloned()
            .ok_or_else(|| {
                ApiFailure::new(
                    error_code::ORDER_NOT_FOUND,
                    "order not found",
                    "the order has no payment",
                )
            })?;
        self.expire_if_due(&latest, now, outbox);
        let record = self
            .payments
            .get(&latest)
            .ok_or_else(|| ApiFailure::internal("the order's payment record is missing"))?;
        Ok(self.reply(record))
    }

    fn reply(&self, record: &PaymentRecord) -> PaymentReply {
        PaymentReply {
            order_id: record.order_id.clone(),
            amount: record.amount,
            payment_id: record.payment_id.clone(),
            status: record.status.clone(),
            form_url: self.form_url(&record.form_key),
        }
    }

    fn form_url(&self, form_key: &str) -> Url {
        let mut url = self.base_url.clone();
        url.set_path(&format!("/pay/{form_key}"));
        url
    }

    /// Expires a payment whose deadline has passed; `true` if it did.
    pub(crate) fn expire_if_due(
        &mut self,
        payment_id: &PaymentId,
        now: Instant,
        outbox: &mut Outbox,
    ) -> bool {
        let due = self
            .payments
            .get(payment_id)
            .is_some_and(|record| !record.status.is_final() && now >= record.deadline);
        if due {
            self.set_status(
                payment_id,
                PaymentStatus::DeadlineExpired,
                error_code::OK,
                outbox,
            );
        }
        due
    }

    /// Opens the form: a `NEW` payment becomes `FORM_SHOWED`.
    pub(crate) fn open_form(
        &mut self,
        form_key: &str,
        now: Instant,
        outbox: &mut Outbox,
    ) -> Option<FormView> {
        let payment_id = self.forms.get(form_key)?.clone();
        self.expire_if_due(&payment_id, now, outbox);
        let is_new = self
            .payments
            .get(&payment_id)
            .is_some_and(|record| record.status == PaymentStatus::New);
        if is_new {
            self.set_status(
                &payment_id,
                PaymentStatus::FormShowed,
                error_code::OK,
                outbox,
            );
        }
        self.form_view(&payment_id, now)
    }

    /// Checks a transfer code. The right code moves the points and confirms
    /// the payment, or rejects it when the customer has too few points; the
    /// third wrong code rejects it.
    pub(crate) fn submit_code(
        &mut self,
        form_key: &str,
        code: &str,
        now: Instant,
        outbox: &mut Outbox,
    ) -> Result<Option<CodeOutcome>, ApiFailure> {
        let Some(payment_id) = self.forms.get(form_key).cloned() else {
            return Ok(None);
        };
        self.expire_if_due(&payment_id, now, outbox);
        let Some(record) = self.payments.get_mut(&payment_id) else {
            return Ok(None);
        };
        if record.status.is_final() {
            return Ok(self.form_view(&payment_id, now).map(CodeOutcome::Final));
        }
        if code.trim() != record.code {
            record.wrong_codes = record.wrong_codes.saturating_add(1);
            if record.wrong_codes < MAX_WRONG_CODES {
                return Ok(self.form_view(&payment_id, now).map(CodeOutcome::WrongCode));
            }
            self.set_status(&payment_id, PaymentStatus::Rejected, error_code::OK, outbox);
            return Ok(self.form_view(&payment_id, now).map(CodeOutcome::Final));
        }
        self.transfer(&payment_id, outbox)?;
        Ok(self.form_view(&payment_id, now).map(CodeOutcome::Final))
    }

    /// Moves the points of a payment whose code was right, or rejects it when
    /// the customer has too few.
    fn transfer(&mut self, payment_id: &PaymentId, outbox: &mut Outbox) -> Result<(), ApiFailure> {
        let record = self
            .payments
            .get(payment_id)
            .ok_or_else(|| ApiFailure::internal("the payment record is missing"))?;
        let (uid, phone, amount) = (record.uid.clone(), record.phone.clone(), record.amount);
        let balance = self.customers.get(&phone).copied().unwrap_or_default();
        let Some(remaining) = balance.checked_sub(amount) else {
            self.set_status(
                payment_id,
                PaymentStatus::Rejected,
                error_code::NOT_ENOUGH_POINTS,
                outbox,
            );
            return Ok(());
        };
        let platform = self
            .platforms
            .get_mut(&uid)
            .ok_or_else(|| ApiFailure::internal("the payment's platform is missing"))?;
        let received = platform
            .received
            .checked_add(amount)
            .ok_or_else(|| ApiFailure::internal("the platform's points overflowed"))?;
        platform.received = received;
        self.customers.insert(phone, remaining);
        self.set_status(payment_id, PaymentStatus::Confirmed, error_code::OK, outbox);
        Ok(())
    }

    /// Cancels an open payment; a final payment stays as it is.
    pub(crate) fn cancel(
        &mut self,
        form_key: &str,
        now: Instant,
        outbox: &mut Outbox,
    ) -> Option<FormView> {
        let payment_id = self.forms.get(form_key)?.clone();
        self.expire_if_due(&payment_id, now, outbox);
        let open = self
            .payments
            .get(&payment_id)
            .is_some_and(|record| !record.status.is_final());
        if open {
            self.set_status(&payment_id, PaymentStatus::Canceled, error_code::OK, outbox);
        }
        self.form_view(&payment_id, now)
    }

    fn form_view(&self, payment_id: &PaymentId, now: Instant) -> Option<FormView> {
        let record = self.payments.get(payment_id)?;
        let shop_name = self
            .platforms
            .get(&record.uid)
            .and_then(|platform| platform.shop_name.clone())
            .unwrap_or_else(|| record.uid.to_string());
        let return_url = match &record.status {
            PaymentStatus::Confirmed => record.success_url.clone(),
            status if status.is_final() => record.fail_url.clone(),
            _ => None,
        };
        Some(FormView {
            form_key: record.form_key.clone(),
            shop_name,
            description: record.description.clone(),
            order_id: record.order_id.clone(),
            amount: record.amount,
            phone: record.phone.clone(),
            status: record.status.clone(),
            codes_left: MAX_WRONG_CODES.saturating_sub(record.wrong_codes),
            time_left: record.deadline.saturating_duration_since(now),
            return_url,
        })
    }

    /// Sets a payment's status and queues its notification. The
    /// out-of-order fault holds notifications until the final status and then
    /// releases them newest first.
    fn set_status(
        &mut self,
        payment_id: &PaymentId,
        status: PaymentStatus,
        code: &'static str,
        outbox: &mut Outbox,
    ) {
        let Some(record) = self.payments.get_mut(payment_id) else {
            return;
        };
        record.status = status.clone();
        let notice = Notice {
            uid: record.uid.clone(),
            order_id: record.order_id.clone(),
            payment_id: record.payment_id.clone(),
            amount: record.amount,
            phone: record.phone.clone(),
            success: !status.is_failed(),
            error_code: code,
            status,
        };
        let faults = self
            .platforms
            .get(&record.uid)
            .map(|platform| platform.faults.clone())
            .unwrap_or_default();
        if faults.out_of_order || !record.held.is_empty() {
            record.held.push(notice);
            if !record.status.is_final() {
                return;
            }
            let mut chain = std::mem::take(&mut record.held);
            chain.reverse();
            outbox.outgoing.push(Outgoing { chain, faults });
        } else {
            outbox.outgoing.push(Outgoing {
                chain: vec![notice],
                faults,
            });
        }
    }

    /// A customer's balance and unused codes, after expiring their overdue
    /// payments.
    pub(crate) fn account(
        &mut self,
        phone: &Phone,
        now: Instant,
        outbox: &mut Outbox,
    ) -> Option<Account> {
        let balance = self.balance(phone)?;
        let payment_ids = self.by_phone.get(phone).cloned().unwrap_or_default();
        let mut pending = Vec::new();
        for payment_id in payment_ids {
            self.expire_if_due(&payment_id, now, outbox);
            let Some(record) = self.payments.get(&payment_id) else {
                continue;
            };
            if record.status.is_final() {
                continue;
            }
            pending.push(PendingCode {
                payment_id: record.payment_id.clone(),
                uid_platform: record.uid.clone(),
                order_id: record.order_id.clone(),
                amount: record.amount,
                code: record.code.clone(),
                status: record.status.clone(),
                payment_url: self.form_url(&record.form_key),
            });
        }
        Some(Account {
            phone: phone.clone(),
            balance,
            pending,
        })
    }

    /// A payment as stored, after expiring it if it is overdue.
    pub(crate) fn payment(
        &mut self,
        payment_id: &PaymentId,
        now: Instant,
        outbox: &mut Outbox,
    ) -> Option<PaymentSnapshot> {
        self.expire_if_due(payment_id, now, outbox);
        let record = self.payments.get(payment_id)?;
        Some(PaymentSnapshot {
            payment_id: record.payment_id.clone(),
            uid_platform: record.uid.clone(),
            order_id: record.order_id.clone(),
            amount: record.amount,
            phone: record.phone.clone(),
            status: record.status.clone(),
            wrong_codes: record.wrong_codes,
            payment_url: self.form_url(&record.form_key),
        })
    }
}

fn phone_not_registered() -> ApiFailure {
    ApiFailure::new(
        error_code::PHONE_NOT_REGISTERED,
        "phone not registered",
        "no customer has this phone",
    )
}

fn conflict(details: &str) -> ApiFailure {
    ApiFailure::new(error_code::PAYMENT_CONFLICT, "payment conflict", details)
}

/// Returns a random number for ids and codes. `RandomState` seeds each hasher from
/// the operating system's randomness once per thread and then varies it, so
/// the numbers are unpredictable enough for a test service but are not meant
/// to resist an attacker.
pub(crate) fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::config::Faults;

    const DEADLINE: Duration = Duration::from_secs(60);

    fn uid() -> UidPlatform {
        UidPlatform::new("shop").unwrap()
    }

    fn phone() -> Phone {
        Phone::parse("79001234567").unwrap()
    }

    fn state(faults: Faults) -> State {
        let platform =
            SandboxPlatform::new(uid(), SecretKey::new("secret").unwrap()).faults(faults);
        let customers = HashMap::from([(phone(), Kopecks::new(1_000))]);
        State::new(
            Url::parse("http://127.0.0.1:1/").unwrap(),
            DEADLINE,
            vec![platform],
            customers,
        )
    }

    fn fields(order_id: &str, amount: u64) -> InitFields {
        InitFields {
            phone: phone(),
            order_id: OrderId::new(order_id).unwrap(),
            amount: Kopecks::new(amount),
            description: None,
            success_url: None,
            fail_url: None,
        }
    }

    /// The form key of a payment, from its form URL.
    fn key(reply: &PaymentReply) -> String {
        reply.form_url.path().trim_start_matches("/pay/").to_owned()
    }

    fn statuses(outbox: &Outbox) -> Vec<Vec<PaymentStatus>> {
        outbox
            .outgoing
            .iter()
            .map(|outgoing| {
                outgoing
                    .chain
                    .iter()
                    .map(|notice| notice.status.clone())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn init_queues_deadline_and_no_notification() {
        let mut state = state(Faults::none());
        let mut outbox = Outbox::default();
        let reply = state
            .init(&uid(), fields("1", 100), Instant::now(), &mut outbox)
            .unwrap();
        assert_eq!(reply.status, PaymentStatus::New);
        assert!(outbox.outgoing.is_empty());
        assert_eq!(outbox.deadlines, [(reply.payment_id, DEADLINE)]);
    }

    #[test]
    fn third_wrong_code_rejects() {
        let mut state = state(Faults::none());
        let mut outbox = Outbox::default();
        let now = Instant::now();
        let reply = state
            .init(&uid(), fields("1", 100), now, &mut outbox)
            .unwrap();
        let form_key = key(&reply);
        for codes_left in [2, 1] {
            let outcome = state.submit_code(&form_key, "wrong", now, &mut outbox);
            assert!(matches!(
                outcome,
                Ok(Some(CodeOutcome::WrongCode(ref view))) if view.codes_left == codes_left
            ));
        }
        let last = state.submit_code(&form_key, "wrong", now, &mut outbox);
        assert!(matches!(
            last,
            Ok(Some(CodeOutcome::Final(ref view))) if view.status == PaymentStatus::Rejected
        ));
        assert_eq!(statuses(&outbox), [[PaymentStatus::Rejected]]);
    }

    #[test]
    fn overdue_payment_expires_once() {
        let mut state = state(Faults::none());
        let mut outbox = Outbox::default();
        let now = Instant::now();
        let reply = state
            .init(&uid(), fields("1", 100), now, &mut outbox)
            .unwrap();
        assert!(!state.expire_if_due(&reply.payment_id, now, &mut outbox));

        let later = now + DEADLINE;
        assert!(state.expire_if_due(&reply.payment_id, later, &mut outbox));
        assert!(!state.expire_if_due(&reply.payment_id, later, &mut outbox));
        assert_eq!(statuses(&outbox), [[PaymentStatus::DeadlineExpired]]);
        let view = state.open_form(&key(&reply), later, &mut outbox).unwrap();
        assert_eq!(view.status, PaymentStatus::DeadlineExpired);
    }

    #[test]
    fn out_of_order_releases_reversed_at_final() {
        let mut state = state(Faults::none().out_of_order(true));
        let mut outbox = Outbox::default();
        let now = Instant::now();
        let reply = state
            .init(&uid(), fields("1", 100), now, &mut outbox)
            .unwrap();
        state.open_form(&key(&reply), now, &mut outbox).unwrap();
        assert!(outbox.outgoing.is_empty(), "FORM_SHOWED is held");

        state.cancel(&key(&reply), now, &mut outbox).unwrap();
        assert_eq!(
            statuses(&outbox),
            [[PaymentStatus::Canceled, PaymentStatus::FormShowed]]
        );
    }

    #[test]
    fn held_notifications_survive_fault_change() {
        let mut state = state(Faults::none().out_of_order(true));
        let mut outbox = Outbox::default();
        let now = Instant::now();
        let reply = state
            .init(&uid(), fields("1", 100), now, &mut outbox)
            .unwrap();
        state.open_form(&key(&reply), now, &mut outbox).unwrap();
        assert!(state.set_faults(&uid(), Faults::none()));

        state.cancel(&key(&reply), now, &mut outbox).unwrap();
        assert_eq!(
            statuses(&outbox),
            [[PaymentStatus::Canceled, PaymentStatus::FormShowed]]
        );
    }

    #[test]
    fn right_code_moves_points_once() {
        let mut state = state(Faults::none());
        let mut outbox = Outbox::default();
        let now = Instant::now();
        let reply = state
            .init(&uid(), fields("1", 300), now, &mut outbox)
            .unwrap();
        let code = state.account(&phone(), now, &mut outbox).unwrap().pending[0]
            .code
            .clone();
        for _ in 0..2 {
            state
                .submit_code(&key(&reply), &code, now, &mut outbox)
                .unwrap();
        }
        assert_eq!(state.balance(&phone()), Some(Kopecks::new(700)));
        assert_eq!(state.received(&uid()), Some(Kopecks::new(300)));
        assert_eq!(statuses(&outbox), [[PaymentStatus::Confirmed]]);
    }

    #[test]
    fn codes_are_six_digits() {
        let mut state = state(Faults::none());
        let mut outbox = Outbox::default();
        let now = Instant::now();
        for order in 0..20 {
            let order_id = order.to_string();
            state
                .init(&uid(), fields(&order_id, 1), now, &mut outbox)
                .unwrap();
        }
        let account = state.account(&phone(), now, &mut outbox).unwrap();
        assert_eq!(account.pending.len(), 20);
        for pending in account.pending {
            assert_eq!(pending.code.len(), 6, "{}", pending.code);
            assert!(pending.code.chars().all(|digit| digit.is_ascii_digit()));
        }
    }
}
