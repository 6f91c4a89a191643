//! The states AWS reports, as enums: a stack's status, a change set's status, a resource change's
//! action and replacement, a group member's lifecycle state. Each keeps a text AWS may add later
//! in `Other`, and classifies itself, so no caller compares strings.

use std::fmt;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant,)+
            /// A value this version does not know.
            Other(String),
        }

        impl $name {
            /// The value as AWS spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(text) => text,
                }
            }

            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)+
                    other => Self::Other(other.to_string()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// A CloudFormation stack's status.
    StackStatus {
        CreateInProgress = "CREATE_IN_PROGRESS",
        CreateFailed = "CREATE_FAILED",
        CreateComplete = "CREATE_COMPLETE",
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        RollbackFailed = "ROLLBACK_FAILED",
        RollbackComplete = "ROLLBACK_COMPLETE",
        DeleteInProgress = "DELETE_IN_PROGRESS",
        DeleteFailed = "DELETE_FAILED",
        DeleteComplete = "DELETE_COMPLETE",
        UpdateInProgress = "UPDATE_IN_PROGRESS",
        UpdateCompleteCleanupInProgress = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        UpdateComplete = "UPDATE_COMPLETE",
        UpdateFailed = "UPDATE_FAILED",
        UpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS",
        UpdateRollbackFailed = "UPDATE_ROLLBACK_FAILED",
        UpdateRollbackCompleteCleanupInProgress = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        UpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE",
        ReviewInProgress = "REVIEW_IN_PROGRESS",
        ImportInProgress = "IMPORT_IN_PROGRESS",
        ImportComplete = "IMPORT_COMPLETE",
        ImportRollbackInProgress = "IMPORT_ROLLBACK_IN_PROGRESS",
        ImportRollbackFailed = "IMPORT_ROLLBACK_FAILED",
        ImportRollbackComplete = "IMPORT_ROLLBACK_COMPLETE",
    }
);

impl StackStatus {
    /// CloudFormation is still working on the stack.
    pub fn is_in_progress(&self) -> bool {
        use StackStatus::*;
        matches!(
            self,
            CreateInProgress
                | RollbackInProgress
                | DeleteInProgress
                | UpdateInProgress
                | UpdateCompleteCleanupInProgress
                | UpdateRollbackInProgress
                | UpdateRollbackCompleteCleanupInProgress
                | ReviewInProgress
                | ImportInProgress
                | ImportRollbackInProgress
        )
    }

    /// The last create or update did what was asked.
    pub fn is_deployed(&self) -> bool {
        matches!(self, StackStatus::CreateComplete | StackStatus::UpdateComplete | StackStatus::ImportComplete)
    }

    /// A failed create (or delete) left the stack unusable: it can only be deleted.
    pub fn needs_delete(&self) -> bool {
        matches!(self, StackStatus::RollbackComplete | StackStatus::RollbackFailed | StackStatus::DeleteFailed)
    }
}

wire_enum!(
    /// A change set's status.
    ChangeSetStatus {
        CreatePending = "CREATE_PENDING",
        CreateInProgress = "CREATE_IN_PROGRESS",
        CreateComplete = "CREATE_COMPLETE",
        DeletePending = "DELETE_PENDING",
        DeleteInProgress = "DELETE_IN_PROGRESS",
        DeleteComplete = "DELETE_COMPLETE",
        DeleteFailed = "DELETE_FAILED",
        Failed = "FAILED",
    }
);

impl ChangeSetStatus {
    /// CloudFormation is still computing the change set.
    pub fn is_pending(&self) -> bool {
        matches!(self, ChangeSetStatus::CreatePending | ChangeSetStatus::CreateInProgress)
    }
}

wire_enum!(
    /// What a change set does to one resource.
    ChangeAction { Add = "Add", Modify = "Modify", Remove = "Remove", Import = "Import", Dynamic = "Dynamic" }
);

wire_enum!(
    /// Whether a modified resource is replaced.
    Replacement { True = "True", False = "False", Conditional = "Conditional" }
);

impl Replacement {
    /// Replaced for certain or possibly.
    pub fn may_replace(&self) -> bool {
        matches!(self, Replacement::True | Replacement::Conditional)
    }
}

wire_enum!(
    /// An Auto Scaling group member's lifecycle state.
    LifecycleState {
        Pending = "Pending",
        PendingWait = "Pending:Wait",
        PendingProceed = "Pending:Proceed",
        Quarantined = "Quarantined",
        InService = "InService",
        Terminating = "Terminating",
        TerminatingWait = "Terminating:Wait",
        TerminatingProceed = "Terminating:Proceed",
        Terminated = "Terminated",
        Detaching = "Detaching",
        Detached = "Detached",
        EnteringStandby = "EnteringStandby",
        Standby = "Standby",
        WarmedPending = "Warmed:Pending",
        WarmedPendingWait = "Warmed:Pending:Wait",
        WarmedPendingProceed = "Warmed:Pending:Proceed",
        WarmedTerminating = "Warmed:Terminating",
        WarmedTerminatingWait = "Warmed:Terminating:Wait",
        WarmedTerminatingProceed = "Warmed:Terminating:Proceed",
        WarmedTerminated = "Warmed:Terminated",
        WarmedStopped = "Warmed:Stopped",
        WarmedRunning = "Warmed:Running",
        WarmedHibernated = "Warmed:Hibernated",
    }
);

impl LifecycleState {
    /// In the warm pool (`Warmed:*`).
    pub fn is_warmed(&self) -> bool {
        self.as_str().starts_with("Warmed:")
    }

    /// On its way out of the group: Standby, detaching or terminating.
    pub fn is_leaving(&self) -> bool {
        use LifecycleState::*;
        matches!(self, Standby | EnteringStandby | Detaching | Detached | Terminating | TerminatingWait | TerminatingProceed | Terminated)
    }

    /// Held by the drain hook while its agent finishes its job (`Terminating:Wait`).
    pub fn is_draining(&self) -> bool {
        *self == LifecycleState::TerminatingWait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_and_unknown_ones_are_kept() {
        for text in ["UPDATE_ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS", "SOMETHING_NEW"] {
            assert_eq!(StackStatus::parse(text).as_str(), text);
        }
        assert_eq!(StackStatus::parse("SOMETHING_NEW"), StackStatus::Other("SOMETHING_NEW".into()));
        assert_eq!(LifecycleState::parse("Warmed:Pending:Wait"), LifecycleState::WarmedPendingWait);
        assert_eq!(serde_json::to_string(&Replacement::Conditional).ok().as_deref(), Some("\"Conditional\""));
    }

    #[test]
    fn statuses_classify_themselves() {
        assert!(StackStatus::UpdateCompleteCleanupInProgress.is_in_progress());
        assert!(!StackStatus::UpdateRollbackComplete.is_in_progress() && !StackStatus::UpdateRollbackComplete.is_deployed());
        assert!(StackStatus::RollbackComplete.needs_delete() && !StackStatus::UpdateComplete.needs_delete());
        assert!(LifecycleState::TerminatingWait.is_leaving() && !LifecycleState::WarmedRunning.is_leaving());
        assert!(LifecycleState::TerminatingWait.is_draining() && !LifecycleState::Terminating.is_draining());
        assert!(LifecycleState::WarmedHibernated.is_warmed() && LifecycleState::parse("Warmed:Later").is_warmed());
        assert!(!LifecycleState::InService.is_warmed());
        assert!(Replacement::Conditional.may_replace() && !Replacement::False.may_replace());
    }
}
