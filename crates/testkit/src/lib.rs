//! Dev-only stand-ins shared by integration tests: a Semaphore hub stub that follows
//! `shared/reference/semaphore-api.md` (status codes included) and a moto server launcher.

pub mod hub;
pub mod moto;
pub mod stack;

pub use hub::{Fault, SemaphoreStub};
pub use moto::Moto;
