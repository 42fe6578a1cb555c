//! Where "now" comes from: the system clock in production; tests move theirs by hand.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDateTime, Utc};

/// The time source every use case and worker reads; clones share one time.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// `None` is the plain system clock (no lock on the hot path).
    adjusted: Option<Arc<Mutex<Adjustment>>>,
}

#[derive(Debug, Default)]
struct Adjustment {
    /// A time that stands still until moved; `None` follows the system clock.
    fixed: Option<DateTime<Utc>>,
    /// Added to the system clock (tests jump ahead without sleeping).
    offset: chrono::Duration,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock { adjusted: None }
    }

    /// The system clock, which tests can move forward with [`Clock::advance`].
    pub fn adjustable() -> Self {
        Clock {
            adjusted: Some(Arc::default()),
        }
    }

    /// A clock that stays at `at` until set or advanced.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock {
            adjusted: Some(Arc::new(Mutex::new(Adjustment {
                fixed: Some(at),
                offset: chrono::Duration::zero(),
            }))),
        }
    }

    /// Now, at the precision both databases keep (microseconds), in UTC.
    pub fn now(&self) -> NaiveDateTime {
        crate::time::truncate(self.now_utc()).naive_utc()
    }

    /// Now as a UTC instant.
    pub fn now_utc(&self) -> DateTime<Utc> {
        let Some(adjusted) = &self.adjusted else {
            return Utc::now();
        };
        let a = adjusted.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        a.fixed.unwrap_or_else(Utc::now) + a.offset
    }

    /// Stops the clock at `at` (the plain system clock ignores it).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(adjusted) = &self.adjusted {
            let mut a = adjusted.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            *a = Adjustment {
                fixed: Some(at),
                offset: chrono::Duration::zero(),
            };
        }
    }

    /// Moves the clock forward by `by` (the plain system clock ignores it).
    pub fn advance(&self, by: chrono::Duration) {
        if let Some(adjusted) = &self.adjusted {
            adjusted.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).offset += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_fixed_clock_moves_only_when_told_and_clones_share_it() {
        let start = Utc.with_ymd_and_hms(2024, 3, 4, 6, 0, 0).unwrap();
        let clock = Clock::fixed(start);
        let other = clock.clone();
        assert_eq!(clock.now_utc(), start);
        other.advance(chrono::Duration::hours(2));
        assert_eq!(clock.now().to_string(), "2024-03-04 08:00:00");
        clock.set(start);
        assert_eq!(other.now_utc(), start);
    }

    #[test]
    fn an_adjustable_clock_runs_and_jumps() {
        let clock = Clock::adjustable();
        clock.advance(chrono::Duration::days(1));
        let ahead = clock.now_utc() - Utc::now();
        assert!(ahead > chrono::Duration::hours(23), "{ahead}");
        let system = Clock::system();
        system.advance(chrono::Duration::days(1));
        assert!(system.now_utc() - Utc::now() < chrono::Duration::hours(1));
    }
}
