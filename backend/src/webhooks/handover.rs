//! Deliveries read by the request that stored them, handed to the intake worker of the same
//! process: the worker then neither fetches the body again nor parses it a second time (about
//! 150 µs per delivery, timed inside the worker on PostgreSQL). Only an optimisation: the
//! stored body stays the truth, and the worker reads it whenever nothing was handed over (a
//! restart, a delivery another replica stored, one left waiting longer than a few seconds, a
//! full handover).

use std::time::Duration;

use uuid::Uuid;

use super::intake::Intake;
use crate::kept::KeptFor;

/// Long enough for the worker's next pass, which comes within a second even when idle.
const KEPT_FOR: Duration = Duration::from_secs(5);
/// Deliveries held at most (a few kilobytes each), however far behind the worker falls.
const ROOM: usize = 1_024;

pub struct Handover(KeptFor<Uuid, Intake>);

impl Default for Handover {
    fn default() -> Self {
        Self(KeptFor::new(KEPT_FOR))
    }
}

impl Handover {
    /// What the delivery stored as `event_id` asks for, as its request read it.
    pub fn offer(&self, event_id: Uuid, intake: Intake) {
        self.0.put_if_room(event_id, intake, ROOM);
    }

    /// What was offered for the delivery, once.
    pub fn take(&self, event_id: Uuid) -> Option<Intake> {
        self.0.take(&event_id)
    }

    /// The delivery was not stored after all (a repeat, an error).
    pub fn withdraw(&self, event_id: Uuid) {
        self.0.forget(&event_id);
    }
}
