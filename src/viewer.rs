//! The Bevy viewer (feature `gui`). Not built yet: the core comes first (see the issues); until then
//! `softras view` says so and points to `softras render` / `softras fit`.

/// Whether this build has a working viewer.
pub const AVAILABLE: bool = false;
