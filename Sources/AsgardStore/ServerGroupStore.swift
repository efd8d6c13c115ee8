import AsgardCore
import Foundation

/// Stores the local cloud's server groups and instances.
public protocol ServerGroupStore: Sendable {
    /// Every server group, oldest first.
    func serverGroups() async throws -> [ServerGroupRecord]
    /// One group, or nil.
    func serverGroup(named name: String) async throws -> ServerGroupRecord?
    /// Creates a group and records `task`.
    ///
    /// - Throws: `StoreError.conflict` when the name is taken.
    func createServerGroup(_ group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord
    /// Replaces a group's settings and records `task`.
    func updateServerGroup(_ group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord
    /// Removes a group with its instance records and records `task`.
    func deleteServerGroup(named name: String, task: TaskDraft) async throws -> TaskRecord
    /// Instances, of one group or all, that are not yet Terminated unless `includeTerminated`.
    func instances(of group: String?, includeTerminated: Bool) async throws -> [InstanceRecord]
    /// One instance, or nil.
    func instance(_ id: InstanceID) async throws -> InstanceRecord?
    /// Inserts or replaces an instance record.
    func saveInstance(_ instance: InstanceRecord) async throws
    /// Protects instances from scale-in (or stops protecting them) and records `task`; saving an
    /// instance never changes its protection.
    ///
    /// - Throws: `StoreError.notFound` for an unknown or terminated instance.
    func setInstanceProtection(_ ids: [InstanceID], protected: Bool, task: TaskDraft) async throws -> TaskRecord
}
