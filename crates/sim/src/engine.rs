//! The discrete-event fleet model: jobs arrive, the scaler ticks, the Auto Scaling group launches
//! instances, agents register, take the oldest queued job, finish it, and leave.
//!
//! Rules (agent-aws-stack's behaviour, see docs/simulate.md):
//! - the scaler ticks every `tick_ms`, sees exactly what the Lambda sees, and may only raise desired;
//!   a desired above max is rejected, as AWS rejects it;
//! - the group launches an instance whenever it has fewer than desired; it registers `launch_delay_ms` later;
//! - a queued job goes to an idle agent at once (a uniformly random one, as the first to sync wins);
//! - disconnect-after-job: after its job the instance terminates *without* decrementing desired, so
//!   the group launches a replacement, or *with* a decrement as an idle timeout does
//!   ([`crate::AfterJob`]);
//! - idle timeout: an idle agent terminates *with* a decrement; at the group's minimum the decrement
//!   is refused by AWS and the instance is replaced instead;
//! - maximum instance lifetime: when an instance reaches it, the group terminates it and launches a
//!   replacement (desired unchanged). Without a hook (agent-aws-stack) the instance goes at once and a
//!   running job is killed; with agent-stack's termination hook a busy agent drains: it finishes its job,
//!   no longer counted toward desired, and the instance goes after;
//! - warm pool: it starts with `size` prepared instances; a launch takes a ready one if there is one,
//!   which registers `start_delay_ms` later, and the pool refills behind it by a cold launch, ready
//!   `launch_delay_ms` later (boot and preparation). Pool instances are invisible to the scaler, and
//!   never return to the pool;
//! - the run ends when the last job is done plus launch delay + idle timeout (time to scale in).
//!
//! Events at the same millisecond run in a fixed order: job finishes, registrations, idle timeouts,
//! lifetimes, arrivals, then the tick. The only randomness is the seeded choice among idle agents.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use agent_stack_scaler::{Agents, AsgCapacity, Decision, Instances, Jobs, Observation};

use crate::model::{AtLifetime, FleetModel};
use crate::rng::Rng;
use crate::run::{Accounts, Run, Sample, Series};
use crate::trace::Trace;

/// A scaling policy as the simulator drives it: one call per tick, with the epoch time.
pub trait Policy {
    fn decide(&mut self, observation: &Observation, now_ms: u64) -> Decision;
}

impl<F: FnMut(&Observation, u64) -> Decision> Policy for F {
    fn decide(&mut self, observation: &Observation, now_ms: u64) -> Decision {
        self(observation, now_ms)
    }
}

/// With jobs queued and none running, give up after this long without progress (e.g. max size 0).
const STALL_MS: u64 = 24 * 3600 * 1000;

/// What happens at an event. The variants' order is the order of events at the same millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum EventKind {
    Finish,
    Register,
    /// A refill has finished its preparation and waits in the pool.
    PoolReady,
    IdleTimeout,
    Lifetime,
    Arrival,
    Tick,
}

/// One event, ordered by time, kind, then the order it was scheduled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Event {
    at: u64,
    kind: EventKind,
    seq: u64,
    instance: u32,
}

impl Event {
    /// An event that is not scheduled on the heap (arrivals and ticks come in their own order).
    fn unscheduled(at: u64, kind: EventKind) -> Event {
        Event { at, kind, seq: 0, instance: 0 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Idle,
    Busy(u32),
    /// Past its lifetime, finishing its job; its replacement is already launched.
    Draining(u32),
    Gone,
}

#[derive(Debug, Clone, Copy)]
struct Instance {
    launched: u64,
    state: State,
    idle_since: u64,
    idle_pos: u32,
}

/// Runs `trace` through the fleet model under `policy`. `seed` drives the choice among idle
/// agents; `points` bounds the time series kept for plotting.
pub fn simulate(trace: &Trace, model: &FleetModel, policy: &mut dyn Policy, seed: u64, points: usize) -> Run {
    let mut e = Engine::new(trace, model, seed, points);
    e.run(policy);
    e.finish()
}

struct Engine<'a> {
    m: &'a FleetModel,
    trace: &'a Trace,
    origin: u64,
    rng: Rng,
    heap: BinaryHeap<Reverse<Event>>,
    seq: u64,
    instances: Vec<Instance>,
    idle: Vec<u32>,
    queue: VecDeque<u32>,
    desired: i64,
    pending: i64,
    /// Agents running a job, draining ones included.
    busy: i64,
    draining: i64,
    started: Vec<Option<u64>>,
    /// Jobs finished or killed.
    done: usize,
    acct: Accounts,
    series: Series,
    now: u64,
    last_progress: u64,
    pool: Pool,
}

/// The warm pool's instances by state; their time is counted as it passes.
#[derive(Debug, Clone, Copy, Default)]
struct Pool {
    ready: u64,
    /// Refills launched and preparing.
    warming: u64,
    /// Until when `ready` and `warming` are counted into the accounts.
    counted_to: u64,
}

impl<'a> Engine<'a> {
    fn new(trace: &'a Trace, m: &'a FleetModel, seed: u64, points: usize) -> Engine<'a> {
        let origin = trace.start_ms();
        let last = trace.jobs().last().map_or(0, |j| j.queued_at_ms - origin);
        let longest = trace.jobs().iter().map(|j| j.duration_ms).max().unwrap_or(0);
        let span = last.saturating_add(longest).saturating_add(m.launch_delay_ms.saturating_mul(2)).saturating_add(m.idle_timeout_ms);
        let mut e = Engine {
            m,
            trace,
            origin,
            rng: Rng::new(seed),
            heap: BinaryHeap::new(),
            seq: 0,
            instances: Vec::new(),
            idle: Vec::new(),
            queue: VecDeque::new(),
            desired: i64::from(m.initial_desired.clamp(m.min, m.max.max(m.min))).min(i64::from(m.max)),
            pending: 0,
            busy: 0,
            draining: 0,
            started: vec![None; trace.len()],
            done: 0,
            acct: Accounts::default(),
            series: Series::new(span, m.tick_ms.max(1), points),
            now: 0,
            last_progress: 0,
            pool: Pool { ready: m.warm_pool.map_or(0, |p| u64::from(p.size)), ..Pool::default() },
        };
        for _ in 0..e.desired.max(0) {
            let i = e.add_instance(0);
            e.become_idle(i, 0);
        }
        e
    }

    fn push(&mut self, at: u64, kind: EventKind, instance: u32) {
        self.seq += 1;
        self.heap.push(Reverse(Event { at, kind, seq: self.seq, instance }));
    }

    fn run(&mut self, policy: &mut dyn Policy) {
        let jobs = self.trace.jobs();
        let tick_ms = self.m.tick_ms.max(1);
        let (mut next_arrival, mut next_tick, mut horizon) = (0usize, 0u64, u64::MAX);
        loop {
            let mut next = Event::unscheduled(next_tick, EventKind::Tick);
            if let Some(j) = jobs.get(next_arrival) {
                next = next.min(Event::unscheduled(j.queued_at_ms - self.origin, EventKind::Arrival));
            }
            if let Some(Reverse(scheduled)) = self.heap.peek() {
                next = next.min(*scheduled);
            }
            let Event { at: t, kind, instance: i, .. } = next;
            if t > horizon {
                self.now = horizon;
                return;
            }
            self.now = t;
            match kind {
                EventKind::Tick => {
                    self.tick(policy, t);
                    next_tick = next_tick.saturating_add(tick_ms);
                }
                EventKind::Arrival => {
                    self.queue.push_back(next_arrival as u32);
                    next_arrival += 1;
                    self.last_progress = t;
                    self.dispatch(t);
                }
                // The others come from the heap, whose top `next` is.
                EventKind::Finish => {
                    self.heap.pop();
                    self.finish_job(i, t);
                }
                EventKind::Register => {
                    self.heap.pop();
                    self.register(i, t);
                }
                EventKind::PoolReady => {
                    self.heap.pop();
                    self.count_pool(t);
                    self.pool.warming -= 1;
                    self.pool.ready += 1;
                }
                EventKind::IdleTimeout => {
                    self.heap.pop();
                    self.idle_timeout(i, t);
                }
                EventKind::Lifetime => {
                    self.heap.pop();
                    self.lifetime(i, t);
                }
            }
            if self.done == jobs.len() && horizon == u64::MAX {
                let tail = if self.m.idle_timeout_ms > 0 {
                    self.m.launch_delay_ms.saturating_add(self.m.idle_timeout_ms).saturating_add(tick_ms)
                } else {
                    0
                };
                horizon = t.saturating_add(tail);
            }
            let stalled = next_arrival == jobs.len() && self.busy == 0 && t.saturating_sub(self.last_progress) > STALL_MS;
            if stalled && self.done < jobs.len() {
                return;
            }
        }
    }

    fn observation(&self) -> Observation {
        let idle = self.idle.len() as i64;
        // A draining agent still runs its job and is registered; its instance is `Terminating:Wait`.
        Observation {
            jobs: Jobs { queued: self.queue.len() as i64, running: self.busy },
            agents: Agents { idle, occupied: self.busy },
            asg: AsgCapacity {
                desired: self.desired,
                min: i64::from(self.m.min),
                max: i64::from(self.m.max),
                instances: Instances {
                    pending: self.pending,
                    in_service: self.in_service(),
                    other: self.draining,
                    warm: self.pool.ready as i64,
                },
            },
        }
    }

    /// Registered instances that count toward desired (not draining).
    fn in_service(&self) -> i64 {
        self.idle.len() as i64 + self.busy - self.draining
    }

    fn tick(&mut self, policy: &mut dyn Policy, t: u64) {
        let observation = self.observation();
        let decision = policy.decide(&observation, self.origin.saturating_add(t));
        if decision.desired_after > self.desired {
            if decision.desired_after <= i64::from(self.m.max) {
                self.desired = decision.desired_after;
            } else {
                self.acct.rejected += 1;
            }
        }
        self.reconcile(t);
        let in_service = self.in_service();
        self.acct.ticks += 1;
        if !self.queue.is_empty() && in_service + self.pending >= i64::from(self.m.max) {
            self.acct.ticks_at_max += 1;
        }
        self.series
            .record(t, Sample { t_ms: t, queued: self.queue.len() as i64, desired: self.desired, in_service, pending: self.pending });
    }

    /// The group launches instances until it has as many as desired, from its warm pool first.
    fn reconcile(&mut self, t: u64) {
        while self.pending + self.in_service() < self.desired {
            let delay = self.take_from_pool(t).unwrap_or(self.m.launch_delay_ms);
            let i = self.add_instance(t);
            self.pending += 1;
            self.acct.launches += 1;
            self.push(t.saturating_add(delay), EventKind::Register, i);
        }
        self.acct.peak = self.acct.peak.max(self.pending + self.in_service());
    }

    /// Takes a ready pool instance, if any, and launches its refill; returns the instance's start delay.
    fn take_from_pool(&mut self, t: u64) -> Option<u64> {
        let pool = self.m.warm_pool?;
        if self.pool.ready == 0 {
            return None;
        }
        self.count_pool(t);
        self.pool.ready -= 1;
        self.pool.warming += 1;
        self.acct.pool_starts += 1;
        self.push(t.saturating_add(self.m.launch_delay_ms), EventKind::PoolReady, 0);
        Some(pool.start_delay_ms)
    }

    /// Counts the pool's instance time up to `t`.
    fn count_pool(&mut self, t: u64) {
        let dt = u128::from(t - self.pool.counted_to);
        self.acct.pool_waiting_ms += u128::from(self.pool.ready) * dt;
        self.acct.pool_refill_ms += u128::from(self.pool.warming) * dt;
        self.pool.counted_to = t;
    }

    fn add_instance(&mut self, t: u64) -> u32 {
        self.instances.push(Instance { launched: t, state: State::Pending, idle_since: t, idle_pos: 0 });
        let i = (self.instances.len() - 1) as u32;
        if self.m.max_instance_lifetime_ms > 0 {
            self.push(t.saturating_add(self.m.max_instance_lifetime_ms), EventKind::Lifetime, i);
        }
        i
    }

    fn register(&mut self, i: u32, t: u64) {
        // An instance ended at its lifetime before it registered never does.
        if self.instances[i as usize].state != State::Pending {
            return;
        }
        self.pending -= 1;
        self.acct.boot_ms += t - self.instances[i as usize].launched;
        self.become_idle(i, t);
        self.dispatch(t);
    }

    fn become_idle(&mut self, i: u32, t: u64) {
        let inst = &mut self.instances[i as usize];
        inst.state = State::Idle;
        inst.idle_since = t;
        inst.idle_pos = self.idle.len() as u32;
        self.idle.push(i);
        if self.m.idle_timeout_ms > 0 {
            self.push(t.saturating_add(self.m.idle_timeout_ms), EventKind::IdleTimeout, i);
        }
    }

    fn leave_idle(&mut self, i: u32, t: u64) {
        let pos = self.instances[i as usize].idle_pos as usize;
        self.idle.swap_remove(pos);
        if let Some(&moved) = self.idle.get(pos) {
            self.instances[moved as usize].idle_pos = pos as u32;
        }
        self.acct.idle_ms += t - self.instances[i as usize].idle_since;
    }

    /// Idle agents take the oldest queued jobs.
    fn dispatch(&mut self, t: u64) {
        while !self.idle.is_empty() {
            let Some(job) = self.queue.pop_front() else { return };
            let i = self.idle[self.rng.below(self.idle.len() as u64) as usize];
            self.leave_idle(i, t);
            self.instances[i as usize].state = State::Busy(job);
            self.busy += 1;
            self.started[job as usize] = Some(t);
            self.last_progress = t;
            let duration = self.trace.jobs()[job as usize].duration_ms;
            self.push(t.saturating_add(duration), EventKind::Finish, i);
        }
    }

    fn finish_job(&mut self, i: u32, t: u64) {
        let (job, draining) = match self.instances[i as usize].state {
            State::Busy(job) => (job, false),
            State::Draining(job) => (job, true),
            _ => return,
        };
        self.busy -= 1;
        self.done += 1;
        self.acct.busy_ms += self.trace.jobs()[job as usize].duration_ms;
        if draining {
            // Replaced when it started draining: it just goes.
            self.draining -= 1;
            let expired_at = self.instances[i as usize].launched.saturating_add(self.m.max_instance_lifetime_ms);
            self.acct.drain_ms += t.saturating_sub(expired_at);
            self.terminate(i, t);
        } else if self.m.disconnect_after_job {
            self.terminate(i, t);
            if self.m.lowers_after_job() {
                self.lower_desired();
            } else {
                self.acct.replaced += 1;
            }
            self.reconcile(t);
        } else {
            self.become_idle(i, t);
            self.dispatch(t);
        }
    }

    fn idle_timeout(&mut self, i: u32, t: u64) {
        let inst = self.instances[i as usize];
        if inst.state != State::Idle || inst.idle_since.saturating_add(self.m.idle_timeout_ms) != t {
            return;
        }
        self.leave_idle(i, t);
        self.terminate(i, t);
        self.lower_desired();
        self.reconcile(t);
    }

    /// An instance left asking for a decrement: refused at the minimum, so it is replaced.
    fn lower_desired(&mut self) {
        if self.desired > i64::from(self.m.min) {
            self.desired -= 1;
            self.acct.scaled_in += 1;
        } else {
            self.acct.replaced += 1;
        }
    }

    /// The group ends an instance at its maximum lifetime and launches its replacement.
    fn lifetime(&mut self, i: u32, t: u64) {
        let inst = self.instances[i as usize];
        match inst.state {
            State::Gone | State::Draining(_) => return,
            State::Pending => {
                self.pending -= 1;
                self.acct.boot_ms += t - inst.launched;
                self.terminate(i, t);
            }
            State::Idle => {
                self.leave_idle(i, t);
                self.terminate(i, t);
            }
            State::Busy(job) => match self.m.at_lifetime {
                AtLifetime::Drain => {
                    self.instances[i as usize].state = State::Draining(job);
                    self.draining += 1;
                    self.acct.drained += 1;
                }
                AtLifetime::Terminate => {
                    // The job is lost: Semaphore fails it; a rerun would be a new job the trace does not hold.
                    self.busy -= 1;
                    self.done += 1;
                    self.acct.killed += 1;
                    self.acct.killed_ms += t - self.started[job as usize].unwrap_or(t);
                    self.terminate(i, t);
                }
            },
        }
        self.acct.expired += 1;
        self.reconcile(t);
    }

    fn terminate(&mut self, i: u32, t: u64) {
        let inst = &mut self.instances[i as usize];
        inst.state = State::Gone;
        self.acct.instance_ms += u128::from(t - inst.launched);
    }

    /// Closes the books at the end of the run.
    fn finish(mut self) -> Run {
        let end = self.now;
        self.count_pool(end);
        for inst in &self.instances {
            match inst.state {
                State::Gone => {}
                State::Pending => self.acct.boot_ms += end - inst.launched,
                State::Idle => self.acct.idle_ms += end - inst.idle_since,
                State::Busy(_) | State::Draining(_) => {}
            }
            if inst.state != State::Gone {
                self.acct.instance_ms += u128::from(end - inst.launched);
            }
        }
        let jobs = self.trace.jobs();
        let waits = self.started.iter().zip(jobs).map(|(s, j)| s.unwrap_or(end).saturating_sub(j.queued_at_ms - self.origin)).collect();
        let unstarted = self.started.iter().filter(|s| s.is_none()).count();
        Run { waits_ms: waits, unstarted, end_ms: end, accounts: self.acct, series: self.series.into_samples() }
    }
}
