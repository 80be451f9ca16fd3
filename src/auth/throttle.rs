//! Slows down repeated failed logins, per account and per source address.
//!
//! Each failure adds to a counter that halves every `HALF_LIFE_MS`. Beyond `FREE_FAILURES`
//! a login attempt first waits an exponentially growing delay (capped), so guessing a
//! password costs an attacker time while a user who mistyped twice notices nothing.
//! The counters are per process: good enough for one binary; several servers behind a load
//! balancer each slow an attacker down on their own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

const FREE_FAILURES: f64 = 3.0;
const HALF_LIFE_MS: f64 = 10.0 * 60.0 * 1000.0;
const BASE_DELAY_MS: f64 = 250.0;
const MAX_DELAY_MS: f64 = 10_000.0;
const MAX_ENTRIES: usize = 100_000;

#[derive(Default)]
pub struct LoginThrottle {
    state: Mutex<HashMap<Key, (f64, i64)>>,
}

#[derive(Hash, PartialEq, Eq, Clone)]
enum Key {
    Account(String),
    Address(IpAddr),
}

impl LoginThrottle {
    fn score(map: &HashMap<Key, (f64, i64)>, key: &Key, now: i64) -> f64 {
        match map.get(key) {
            Some((score, at)) => score * 0.5f64.powf((now - at) as f64 / HALF_LIFE_MS),
            None => 0.0,
        }
    }

    /// How long this attempt must wait before its password is even checked.
    pub fn delay(&self, login: &str, addr: Option<IpAddr>, now: i64) -> Duration {
        let Ok(map) = self.state.lock() else {
            return Duration::ZERO;
        };
        let mut worst = Self::score(&map, &Key::Account(login.to_owned()), now);
        if let Some(a) = addr {
            worst = worst.max(Self::score(&map, &Key::Address(a), now) / 3.0);
        }
        if worst <= FREE_FAILURES {
            return Duration::ZERO;
        }
        let ms = (BASE_DELAY_MS * 2f64.powf(worst - FREE_FAILURES - 1.0)).min(MAX_DELAY_MS);
        Duration::from_millis(ms as u64)
    }

    pub fn failed(&self, login: &str, addr: Option<IpAddr>, now: i64) {
        let Ok(mut map) = self.state.lock() else { return };
        if map.len() > MAX_ENTRIES {
            // Bounded memory under a spray of random logins: forget the oldest half.
            let mut ages: Vec<i64> = map.values().map(|(_, at)| *at).collect();
            ages.sort_unstable();
            let cutoff = ages[ages.len() / 2];
            map.retain(|_, (_, at)| *at > cutoff);
        }
        let mut keys = vec![Key::Account(login.to_owned())];
        keys.extend(addr.map(Key::Address));
        for key in keys {
            let score = Self::score(&map, &key, now) + 1.0;
            map.insert(key, (score, now));
        }
    }

    pub fn succeeded(&self, login: &str) {
        if let Ok(mut map) = self.state.lock() {
            map.remove(&Key::Account(login.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_after_free_failures_and_resets() {
        let t = LoginThrottle::default();
        for _ in 0..3 {
            assert_eq!(t.delay("a", None, 0), Duration::ZERO);
            t.failed("a", None, 0);
        }
        t.failed("a", None, 0);
        let d1 = t.delay("a", None, 0);
        t.failed("a", None, 0);
        let d2 = t.delay("a", None, 0);
        assert!(d1 > Duration::ZERO && d2 > d1);
        assert_eq!(t.delay("b", None, 0), Duration::ZERO);
        t.succeeded("a");
        assert_eq!(t.delay("a", None, 0), Duration::ZERO);
    }

    #[test]
    fn decays_over_time() {
        let t = LoginThrottle::default();
        for _ in 0..8 {
            t.failed("a", None, 0);
        }
        assert!(t.delay("a", None, 0) > Duration::ZERO);
        assert_eq!(t.delay("a", None, 24 * 3600 * 1000), Duration::ZERO);
    }
}
