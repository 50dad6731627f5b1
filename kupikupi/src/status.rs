//! Payment statuses and the order in which a payment moves through them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::wire::status as wire;

/// The status of one payment at the service.
///
/// A payment starts as `New`, may become `FormShowed`, and ends in exactly one
/// final status. A status string this crate does not know is kept as
/// `Unknown`, which is never treated as a success.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Created by `Init`.
    New,
    /// The customer opened the payment form.
    FormShowed,
    /// Points transferred: the order is paid. Final.
    Confirmed,
    /// A wrong code was entered too often, or the customer has too few
    /// points. Final.
    Rejected,
    /// The customer cancelled on the form. Final.
    Canceled,
    /// The form was not completed in time. Final.
    DeadlineExpired,
    /// A status string this version does not know, kept as received.
    Unknown(String),
}

/// How a newly reported status relates to the one already recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The new status moves the payment forward; record it.
    Forward,
    /// The same status again, for example a repeated notification.
    Duplicate,
    /// An earlier status arriving late, or a non-final status after a final
    /// one; nothing to record.
    Stale,
    /// A final status different from the final status already recorded. The
    /// recorded one is kept, and an operator should look at the conflict.
    Conflict,
    /// One of the two statuses is unknown, so no order can be decided; ask
    /// the service for the current status.
    Undecided,
}

impl PaymentStatus {
    /// Parses a wire status string; unrecognised strings become `Unknown`.
    pub fn from_wire(text: &str) -> PaymentStatus {
        match text {
            wire::NEW => PaymentStatus::New,
            wire::FORM_SHOWED => PaymentStatus::FormShowed,
            wire::CONFIRMED => PaymentStatus::Confirmed,
            wire::REJECTED => PaymentStatus::Rejected,
            wire::CANCELED => PaymentStatus::Canceled,
            wire::DEADLINE_EXPIRED => PaymentStatus::DeadlineExpired,
            other => PaymentStatus::Unknown(other.to_owned()),
        }
    }

    /// The wire string of this status.
    pub fn as_wire(&self) -> &str {
        match self {
            PaymentStatus::New => wire::NEW,
            PaymentStatus::FormShowed => wire::FORM_SHOWED,
            PaymentStatus::Confirmed => wire::CONFIRMED,
            PaymentStatus::Rejected => wire::REJECTED,
            PaymentStatus::Canceled => wire::CANCELED,
            PaymentStatus::DeadlineExpired => wire::DEADLINE_EXPIRED,
            PaymentStatus::Unknown(text) => text,
        }
    }

    /// Whether no further status can follow: confirmed, rejected, cancelled
    /// or expired. `Unknown` is not final.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            PaymentStatus::Confirmed
                | PaymentStatus::Rejected
                | PaymentStatus::Canceled
                | PaymentStatus::DeadlineExpired
        )
    }

    /// Whether the points were transferred, so the order is paid.
    pub fn is_paid(&self) -> bool {
        matches!(self, PaymentStatus::Confirmed)
    }

    /// Whether the payment ended without a transfer.
    pub fn is_failed(&self) -> bool {
        self.is_final() && !self.is_paid()
    }

    // New = 0, FormShowed = 1, every final status = 2.
    fn rank(&self) -> Option<u8> {
        match self {
            PaymentStatus::New => Some(0),
            PaymentStatus::FormShowed => Some(1),
            PaymentStatus::Unknown(_) => None,
            _ => Some(2),
        }
    }

    /// Compares a newly reported status of the same payment with the status
    /// recorded so far (`self`).
    ///
    /// ```
    /// use kupikupi::{PaymentStatus, Transition};
    ///
    /// use PaymentStatus::*;
    /// assert_eq!(New.transition_to(&Confirmed), Transition::Forward);
    /// assert_eq!(Confirmed.transition_to(&FormShowed), Transition::Stale);
    /// assert_eq!(Confirmed.transition_to(&Canceled), Transition::Conflict);
    /// assert_eq!(Confirmed.transition_to(&Confirmed), Transition::Duplicate);
    /// ```
    pub fn transition_to(&self, next: &PaymentStatus) -> Transition {
        if self == next {
            return Transition::Duplicate;
        }
        match (self.rank(), next.rank()) {
            (Some(2), Some(2)) => Transition::Conflict,
            (Some(current), Some(new)) if new > current => Transition::Forward,
            (Some(_), Some(_)) => Transition::Stale,
            // A final status is kept even against a status this version cannot read.
            (Some(2), None) => Transition::Stale,
            _ => Transition::Undecided,
        }
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_wire())
    }
}

impl Serialize for PaymentStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_wire())
    }
}

impl<'de> Deserialize<'de> for PaymentStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(PaymentStatus::from_wire(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentStatus::*;
    use super::*;

    const ALL_KNOWN: [PaymentStatus; 6] = [
        New,
        FormShowed,
        Confirmed,
        Rejected,
        Canceled,
        DeadlineExpired,
    ];

    #[test]
    fn wire_strings_round_trip() {
        for status in ALL_KNOWN {
            assert_eq!(PaymentStatus::from_wire(status.as_wire()), status);
        }
    }

    #[test]
    fn unknown_string_is_kept() {
        let status = PaymentStatus::from_wire("REFUNDED");
        assert_eq!(status, Unknown("REFUNDED".into()));
        assert_eq!(status.as_wire(), "REFUNDED");
    }

    #[test]
    fn unknown_is_neither_final_nor_paid() {
        let status = Unknown("AUTHORIZED".into());
        assert!(!status.is_final());
        assert!(!status.is_paid());
    }

    #[test]
    fn finals_are_final() {
        assert!(Confirmed.is_final());
        assert!(Rejected.is_final());
        assert!(Canceled.is_final());
        assert!(DeadlineExpired.is_final());
        assert!(!New.is_final());
        assert!(!FormShowed.is_final());
    }

    #[test]
    fn only_confirmed_is_paid() {
        for status in ALL_KNOWN {
            assert_eq!(status.is_paid(), status == Confirmed, "{status}");
        }
    }

    #[test]
    fn forward_moves() {
        assert_eq!(New.transition_to(&FormShowed), Transition::Forward);
        assert_eq!(FormShowed.transition_to(&Confirmed), Transition::Forward);
        assert_eq!(New.transition_to(&Rejected), Transition::Forward);
    }

    #[test]
    fn final_never_moves_back() {
        for last in [Confirmed, Rejected, Canceled, DeadlineExpired] {
            assert_eq!(last.transition_to(&New), Transition::Stale, "{last}");
            assert_eq!(last.transition_to(&FormShowed), Transition::Stale, "{last}");
        }
    }

    #[test]
    fn different_final_is_conflict() {
        assert_eq!(Confirmed.transition_to(&Rejected), Transition::Conflict);
        assert_eq!(Canceled.transition_to(&Confirmed), Transition::Conflict);
    }

    #[test]
    fn same_status_is_duplicate() {
        for status in ALL_KNOWN {
            assert_eq!(status.transition_to(&status), Transition::Duplicate);
        }
    }

    #[test]
    fn form_showed_to_new_is_stale() {
        assert_eq!(FormShowed.transition_to(&New), Transition::Stale);
    }

    #[test]
    fn unknown_is_undecided_unless_final_recorded() {
        let unknown = Unknown("HOLD".into());
        assert_eq!(New.transition_to(&unknown), Transition::Undecided);
        assert_eq!(unknown.transition_to(&Confirmed), Transition::Undecided);
        assert_eq!(Confirmed.transition_to(&unknown), Transition::Stale);
    }

    #[test]
    fn serde_uses_wire_strings() {
        assert_eq!(
            serde_json::to_string(&FormShowed).unwrap(),
            "\"FORM_SHOWED\""
        );
        let parsed: PaymentStatus = serde_json::from_str("\"DEADLINE_EXPIRED\"").unwrap();
        assert_eq!(parsed, DeadlineExpired);
    }
}
